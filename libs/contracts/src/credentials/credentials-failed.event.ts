// Frozen: v1 subjects and fields may gain optional members; anything breaking is a new major.
import { z } from 'zod';
import { defineEvent } from '../lib/define';
import { ERROR_CODES } from '../lib/errors';
import { isoDateTime, ulid } from '../lib/primitives';
import { issuanceSubjectSchema } from './issuance.schema';

/** `credentials.v1.failed`: why a run did not get credentials, precise enough to act on. */
export const credentialsFailedSchema = issuanceSubjectSchema.omit({ integrationId: true, roleArn: true, mode: true }).extend({
  /** Null when no integration applies (e.g. nothing is attached for this scope). */
  integrationId: ulid.nullable(),
  roleArn: z.string().nullable(),
  code: z.enum(ERROR_CODES),
  reason: z.string(),
  failedAt: isoDateTime,
});
export type CredentialsFailed = z.infer<typeof credentialsFailedSchema>;

export const CredentialsFailedEvent = defineEvent({
  name: 'credentials.v1.failed',
  stream: 'CREDENTIALS',
  schema: credentialsFailedSchema,
  msgId: (e) => `${e.runId}:${e.phase}:${e.integrationId ?? 'none'}:failed`,
});
