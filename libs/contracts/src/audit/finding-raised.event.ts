// Frozen: v1 subjects and fields may gain optional members; anything breaking is a new major.
import { z } from 'zod';
import { defineEvent } from '../lib/define';
import { isoDateTime } from '../lib/primitives';

export const FINDING_KINDS = [
  'unissued_assume_role',
  'used_after_run_ended',
  'unknown_source_ip',
  'issuance_not_in_trail',
  'denied_assume_role',
] as const;

/** `audit.v1.finding`: something in CloudTrail that a compliance person should look at. */
export const findingRaisedSchema = z.object({
  id: z.string(),
  kind: z.enum(FINDING_KINDS),
  severity: z.enum(['low', 'medium', 'high']),
  account: z.string().nullable(),
  runId: z.string().nullable(),
  roleArn: z.string().nullable(),
  awsAccountId: z.string().nullable(),
  eventId: z.string().nullable(),
  message: z.string(),
  detectedAt: isoDateTime,
  details: z.record(z.string(), z.unknown()),
});
export type FindingRaised = z.infer<typeof findingRaisedSchema>;

export const FindingRaisedEvent = defineEvent({
  name: 'audit.v1.finding',
  stream: 'AUDIT',
  schema: findingRaisedSchema,
  msgId: (e) => `finding:${e.id}`,
});
