import type { EntityManager } from '@mikro-orm/core';
import type { VerifyRoleReply } from '@runtrail/contracts';
import { enqueue } from '../outbox/outbox';
import type { AwsIntegration } from '../storage/integration.entity';

/** The reasons a verdict gives for being unhealthy: its failing checks' messages. */
export function reasonsOf(verdict: VerifyRoleReply): string[] {
  return verdict.checks.filter((c) => c.status === 'fail').map((c) => `${c.check}: ${c.message}`);
}

/**
 * Records a re-verification's verdict on the integration. When health flips, the integration's
 * version moves on and `integrations.v1.health` is enqueued in the same transaction.
 *
 * `verifiedVersion` is the version that was verified: when the row moved on meanwhile (an update,
 * verified itself, or another replica's re-verification) the verdict is stale and dropped, so two
 * replicas never announce the same flip twice.
 */
export function applyVerdict(
  em: EntityManager,
  row: AwsIntegration,
  verdict: VerifyRoleReply,
  at: Date,
  verifiedVersion: number,
): boolean {
  if (row.version !== verifiedVersion) return false;
  const healthy = verdict.safe;
  const reasons = reasonsOf(verdict);
  const changed = healthy !== row.healthy;
  row.healthReasons = reasons;
  row.lastVerifiedAt = at;
  if (changed) {
    row.healthy = healthy;
    row.version += 1;
    enqueue(em, {
      kind: 'health',
      payload: {
        type: 'health',
        integrationId: row.id,
        account: row.account,
        healthy,
        reasons,
        checkedAt: at.toISOString(),
      },
    });
  }
  em.persist(row);
  return changed;
}
