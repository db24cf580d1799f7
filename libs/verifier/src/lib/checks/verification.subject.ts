import { VerifyRoleRequest, type Scope, type VerifyCheck } from '@runtrail/contracts';
import type { z } from 'zod';

export type VerifyRequest = z.output<typeof VerifyRoleRequest.request>;
export type VerifiedIntegration = VerifyRequest['integration'];

/** The caller verification acts for when no attachment is given: any slug runtrail could generate. */
export const PROBE_CALLER = {
  type: 'stack' as const,
  id: '00000000000000000000000000',
  slug: 'runtrail-verification-probe',
  spaceId: 'root',
};

/** Who and which scopes a verification is about. */
export interface Subject {
  integration: VerifiedIntegration;
  caller: { type: 'stack' | 'module'; id: string; slug: string; spaceId: string };
  scopes: Scope[];
  /** The scope an attachment leaves off, whose external id should then be refused (check 3). */
  otherScope: Scope | null;
  probing: boolean;
}

export function subjectOf(request: VerifyRequest): Subject {
  const a = request.attachment;
  if (!a)
    return {
      integration: request.integration,
      caller: PROBE_CALLER,
      scopes: ['read', 'write'],
      otherScope: null,
      probing: true,
    };
  const scopes: Scope[] = [...(a.read ? (['read'] as const) : []), ...(a.write ? (['write'] as const) : [])];
  const otherScope: Scope | null = a.read && !a.write ? 'write' : a.write && !a.read ? 'read' : null;
  return { integration: request.integration, caller: a.caller, scopes, otherScope, probing: false };
}

export const pass = (check: string, message: string): VerifyCheck => ({ check, status: 'pass', message });
export const fail = (check: string, message: string): VerifyCheck => ({ check, status: 'fail', message });
export const warn = (check: string, message: string): VerifyCheck => ({ check, status: 'warn', message });
