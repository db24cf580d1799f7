import { attachmentsToVerify } from '../attachments/verified-attachments';
import { integrationSnapshot, integrationTarget } from '../aws-integrations/integration.view';
import { recordAdminEvent, type ChangeActor } from '../outbox/admin-event';
import { AwsIntegration } from '../storage/integration.entity';
import type { UnitOfWork } from '../unit-of-work';
import { applyVerdict } from './apply-verdict';
import type { IntegrationVerdicts, VerificationClient } from './verification.client';

/** What re-verifying one stored integration came to. */
export interface Reverified {
  row: AwsIntegration;
  verdicts: IntegrationVerdicts;
  /** Health flipped (and `integrations.v1.health` was enqueued). */
  changed: boolean;
}

/**
 * Verifies a stored integration for each caller it is attached to (alone when it has none) and
 * records the combined verdict as its health. Null when the row is gone. With an `actor` (an admin
 * asked for it, not the periodic re-verification), the re-verification is an admin change too.
 */
export async function reverifyIntegration(
  uow: UnitOfWork,
  verification: VerificationClient,
  row: AwsIntegration,
  actor?: ChangeActor,
): Promise<Reverified | null> {
  const em = uow.read();
  const attachments = await attachmentsToVerify(em, row.id);
  const verdicts = await verification.verdicts(em, integrationSnapshot(row), attachments);
  return uow.write(`integration ${row.id}`, async (tx) => {
    const target = await tx.findOne(AwsIntegration, { id: row.id });
    if (!target) return null;
    const changed = applyVerdict(tx, target, verdicts.combined, new Date(), row.version);
    if (actor)
      recordAdminEvent(tx, actor, {
        action: 'integration.verified',
        ...integrationTarget(target),
        changes: changed ? ['healthy'] : [],
      });
    return { row: target, verdicts, changed };
  });
}
