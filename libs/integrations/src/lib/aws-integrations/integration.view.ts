import type { Attachment as AttachmentPayload, IntegrationSnapshot } from '@runtrail/contracts';
import type { AdminChange } from '../outbox/admin-event';
import type { Attachment } from '../storage/attachment.entity';
import type { AwsIntegration } from '../storage/integration.entity';

/** An integration as admin records name it: seen in its own space. */
export function integrationTarget(i: AwsIntegration): Pick<AdminChange, 'target' | 'spaceId'> {
  return { target: { type: 'integration', id: i.id, name: i.name }, spaceId: i.spaceId };
}

/** The integration as events, `resolve` and the REST API show it. */
export function integrationSnapshot(row: AwsIntegration): IntegrationSnapshot {
  return {
    id: row.id,
    account: row.account,
    name: row.name,
    roleArn: row.roleArn,
    durationSeconds: row.durationSeconds,
    region: row.region ?? null,
    labels: row.labels,
    spaceId: row.spaceId,
    mode: row.mode,
    sessionTagging: row.sessionTagging,
    sourceIdentity: row.sourceIdentity,
    customExternalId: row.customExternalId ?? null,
    healthy: row.healthy,
    version: row.version,
  };
}

/** The REST representation: the snapshot plus health details. */
export function integrationView(row: AwsIntegration) {
  return {
    ...integrationSnapshot(row),
    healthReasons: row.healthReasons,
    lastVerifiedAt: row.lastVerifiedAt ? row.lastVerifiedAt.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
  };
}

export function attachmentPayload(row: Attachment): AttachmentPayload {
  return {
    id: row.id,
    account: row.account,
    integrationId: row.integrationId,
    caller: { type: row.callerType, id: row.callerId, slug: row.callerSlug },
    read: row.read,
    write: row.write,
    autoattachLabel: row.autoattachLabel ?? null,
    version: row.version,
  };
}

/** The labels `autoattach:<label>` of an integration, without the prefix. */
export function autoattachLabels(labels: readonly string[]): string[] {
  return labels
    .filter((l) => l.startsWith('autoattach:') && l.length > 'autoattach:'.length)
    .map((l) => l.slice('autoattach:'.length));
}
