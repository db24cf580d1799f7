// Frozen: v1 subjects and fields may gain optional members; anything breaking is a new major.
import { z } from 'zod';
import { defineEvent } from '../lib/define';
import { isoDateTime } from '../lib/primitives';
import { issuanceSubjectSchema } from './issuance.schema';

/**
 * `credentials.v1.issued`: metadata of an issuance, never a secret. The access key id is public
 * (CloudTrail logs it) and is what audit links AWS calls with.
 */
export const credentialsIssuedSchema = issuanceSubjectSchema.extend({
  sessionName: z.string(),
  /** The run id sent as SourceIdentity; null when the integration does not send one. */
  sourceIdentity: z.string().nullable(),
  externalIdUsed: z.boolean(),
  /** Absent in worker mode, where the worker assumes the role itself. */
  accessKeyId: z.string().regex(/^(ASIA|AKIA)[A-Z0-9]{12,124}$/, 'must be an AWS access key id').nullable(),
  assumedRoleArn: z.string().nullable(),
  expiresAt: isoDateTime,
  issuedAt: isoDateTime,
  /** 0 for the phase's first issuance, then 1, 2... for refreshes. */
  refresh: z.number().int().min(0),
});
export type CredentialsIssued = z.infer<typeof credentialsIssuedSchema>;

export const CredentialsIssuedEvent = defineEvent({
  name: 'credentials.v1.issued',
  stream: 'CREDENTIALS',
  schema: credentialsIssuedSchema,
  msgId: (e) => `${e.runId}:${e.phase}:${e.integrationId}:issued:${e.refresh}`,
});
