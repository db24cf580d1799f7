import { VerifyRoleRequest, type Scope, type VerifyCheck } from '@runtrail/contracts';
import type { z } from 'zod';

export type VerifyRequest = z.output<typeof VerifyRoleRequest.request>;
export type VerifiedIntegration = VerifyRequest['integration'];

/** The stack or module a verification acts for: its real external ids and `sub` are what is tried. */
export interface SubjectCaller {
  type: 'stack' | 'module';
  id: string;
  slug: string;
  spaceId: string;
}

/** Who and which scopes a verification is about. */
export interface Subject {
  integration: VerifiedIntegration;
  /**
   * The caller of the attachment being verified. Null when the integration is verified on its own
   * (it has no attachment yet): then only what must be refused is checked, for no caller's ids exist.
   */
  caller: SubjectCaller | null;
  /** The scopes the attachment enables (empty without a caller). */
  scopes: Scope[];
  /** The scope an attachment leaves off, whose external id should then be refused (a warning). */
  otherScope: Scope | null;
  /** The account's OIDC audience, when it set one (the broker uses the same). */
  oidcAudience?: string;
}

export function subjectOf(request: VerifyRequest): Subject {
  const a = request.attachment;
  const base = { integration: request.integration, oidcAudience: request.oidcAudience };
  if (!a) return { ...base, caller: null, scopes: [], otherScope: null };
  const scopes: Scope[] = [...(a.read ? (['read'] as const) : []), ...(a.write ? (['write'] as const) : [])];
  const otherScope: Scope | null = a.read && !a.write ? 'write' : a.write && !a.read ? 'read' : null;
  return { ...base, caller: a.caller, scopes, otherScope };
}

export const pass = (check: string, message: string): VerifyCheck => ({ check, status: 'pass', message });
export const fail = (check: string, message: string): VerifyCheck => ({ check, status: 'fail', message });
export const warn = (check: string, message: string): VerifyCheck => ({ check, status: 'warn', message });
