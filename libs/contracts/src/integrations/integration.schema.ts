import { z } from 'zod';
import { accountSlug, awsRegion, integrationMode, labels, roleArn, spaceId, ulid } from '../lib/primitives';

/** An AWS integration as other services see it (no secrets: an integration has none). */
export const integrationSnapshotSchema = z.object({
  id: ulid,
  account: accountSlug,
  name: z.string().min(1).max(100),
  roleArn,
  durationSeconds: z.number().int().min(900).max(43200),
  region: awsRegion.nullable(),
  labels,
  spaceId,
  mode: integrationMode,
  sessionTagging: z.boolean(),
  /**
   * Send the run id as SourceIdentity (needs `sts:SetSourceIdentity` in the trust policy). Off by
   * default, as the seeds' trust policies allow only `sts:AssumeRole`; absent in events published
   * before it existed, when runtrail always sent it.
   */
  sourceIdentity: z.boolean().default(true),
  /** Only in `worker` mode: an external id the admin chose instead of runtrail's. */
  customExternalId: z.string().nullable(),
  healthy: z.boolean(),
  /** Increments on every change; part of each event's Nats-Msg-Id. */
  version: z.number().int().min(1),
});
export type IntegrationSnapshot = z.infer<typeof integrationSnapshotSchema>;
