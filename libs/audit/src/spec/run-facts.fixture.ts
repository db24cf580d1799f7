import { parseCloudTrailRecord, type NormalizedEvent } from '@runtrail/cloudtrail';
import type { CredentialsIssued, RunPhaseChanged } from '@runtrail/contracts';
import { ROLE } from './trail-records.fixture';

/** The facts audit hears about a run (phases, issuances) and parsed trail records, for store-level tests. */
export const CALLER = { type: 'stack' as const, id: '01HZY1V6QK3M7W3X9T2B5C8D4E', slug: 'network' };
const KEY = { kty: 'EC' as const, crv: 'P-256' as const, x: 'a'.repeat(43), y: 'b'.repeat(43) };

/** CloudTrail records as ingest receives them. */
export function events(...records: Array<Record<string, unknown>>): NormalizedEvent[] {
  return records.map((r) => {
    const parsed = parseCloudTrailRecord(r);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.event;
  });
}

/** `runs.v1.phase.*` of a TRACKED run of account `acme`, space `root`. */
export function phaseChanged(runId: string, phase: RunPhaseChanged['phase'], at: string): RunPhaseChanged {
  return { runId, account: 'acme', spaceId: 'root', caller: CALLER, runType: 'TRACKED', phase, workerId: 'w1', workerPublicKey: KEY, at };
}

/** `credentials.v1.issued` of a platform-mode session for ROLE, valid until 2030. */
export function credentialsIssued(runId: string, accessKeyId: string, issuedAt: string): CredentialsIssued {
  return {
    runId, account: 'acme', spaceId: 'root', caller: CALLER, phase: 'APPLYING', scope: 'write', workerId: 'w1', integrationId: '01HZY1V6QK3M7W3X9T2B5C8D4F',
    roleArn: ROLE, mode: 'platform', sessionName: `${runId}@x@acme`, sourceIdentity: runId, externalIdUsed: true, accessKeyId,
    assumedRoleArn: null, expiresAt: '2030-01-01T00:00:00.000Z', issuedAt, refresh: 0,
  };
}
