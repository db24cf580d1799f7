// Frozen: v1 subjects and fields may gain optional members; anything breaking is a new major.
import { z } from 'zod';
import { defineEvent } from '../lib/define';
import { accountSlug, isoDateTime, spaceId, ulid } from '../lib/primitives';

/**
 * What an admin change touched. `trail_source` is audit's (its trail-source writes will record
 * their changes with the same shape); it is listed now so that adding them changes no contract.
 */
export const ADMIN_TARGET_TYPES = [
  'account',
  'space',
  'api_key',
  'caller',
  'integration',
  'attachment',
  'trail_source',
] as const;
export type AdminTargetType = (typeof ADMIN_TARGET_TYPES)[number];

/** Every admin change runtrail records: `<target type>.<verb>`. */
export const ADMIN_ACTIONS = [
  'account.created',
  'account.settings_updated',
  'space.created',
  'api_key.created',
  'api_key.revoked',
  'caller.registered',
  'caller.updated',
  'caller.removed',
  'integration.created',
  'integration.updated',
  'integration.deleted',
  'integration.verified',
  'attachment.created',
  'attachment.updated',
  'attachment.removed',
  'trail_source.created',
  'trail_source.updated',
  'trail_source.removed',
] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

/** Who made the change: an API key (its id, never its secret), or the bootstrap token (account creation). */
export const adminActor = z.union([
  z.strictObject({ keyId: ulid, role: z.enum(['admin', 'reader', 'scheduler']) }),
  z.strictObject({ bootstrap: z.literal(true) }),
]);
export type AdminActor = z.infer<typeof adminActor>;

/**
 * `integrations.v1.admin.<action>` (e.g. `integrations.v1.admin.api_key.revoked`): one admin
 * change, enqueued in the transaction that made it. `changes` names the fields that changed, never
 * their values (a secret never travels here). `spaceId` is null for account-level things (the
 * account, account-wide keys).
 */
export const adminEventSchema = z.object({
  id: ulid,
  account: accountSlug,
  actor: adminActor,
  action: z.enum(ADMIN_ACTIONS),
  target: z.object({
    type: z.enum(ADMIN_TARGET_TYPES),
    id: z.string().min(1).max(128),
    name: z.string().max(256).optional(),
  }),
  spaceId: spaceId.nullable(),
  at: isoDateTime,
  changes: z.array(z.string().max(64)).max(50).optional(),
  /** Attachments autoattach made (`attachment.created` by autoattach, or such an attachment removed): the label that matched. */
  autoattachLabel: z.string().max(128).optional(),
});
export type AdminEvent = z.infer<typeof adminEventSchema>;

export const AdminEventRecorded = defineEvent({
  name: 'integrations.v1.admin',
  pattern: 'integrations.v1.admin.>',
  stream: 'INTEGRATIONS',
  schema: adminEventSchema,
  subject: (e) => `integrations.v1.admin.${e.action}`,
  msgId: (e) => e.id,
});
