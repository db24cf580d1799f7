// Frozen: v1 subjects and fields may gain optional members; anything breaking is a new major.
import { z } from 'zod';
import { defineEvent } from '../lib/define';
import { accountSlug, callerRef, ulid } from '../lib/primitives';

export const attachmentSchema = z.object({
  id: ulid,
  account: accountSlug,
  integrationId: ulid,
  caller: callerRef,
  read: z.boolean(),
  write: z.boolean(),
  /** Set when the attachment came from an `autoattach:<label>` label on the integration. */
  autoattachLabel: z.string().nullable(),
  version: z.number().int().min(1),
});
export type Attachment = z.infer<typeof attachmentSchema>;

export const attachmentChangedSchema = z.object({
  type: z.enum(['attached', 'attachment_updated', 'detached']),
  attachment: attachmentSchema,
});
export type AttachmentChanged = z.infer<typeof attachmentChangedSchema>;

/** `integrations.v1.attached|attachment_updated|detached`. */
export const AttachmentChangedEvent = defineEvent({
  name: 'integrations.v1.attachment',
  pattern: 'integrations.v1.{attached,attachment_updated,detached}',
  stream: 'INTEGRATIONS',
  schema: attachmentChangedSchema,
  subject: (e) => `integrations.v1.${e.type}`,
  msgId: (e) => `${e.attachment.id}:${e.attachment.version}:${e.type}`,
});
