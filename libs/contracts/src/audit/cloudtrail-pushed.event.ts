// Frozen: v1 subjects and fields may gain optional members; anything breaking is a new major.
import { z } from 'zod';
import { defineEvent } from '../lib/define';

/**
 * `audit.v1.cloudtrail`: CloudTrail records pushed by a bridge (e.g. EventBridge). Records are
 * validated record by record by the audit service, so one bad record never rejects the batch.
 */
export const cloudTrailPushedSchema = z.object({
  batchId: z.string().min(1).max(128),
  source: z.string().min(1).max(200),
  records: z.array(z.record(z.string(), z.unknown())).min(1).max(1000),
});
export type CloudTrailPushed = z.infer<typeof cloudTrailPushedSchema>;

export const CloudTrailPushedEvent = defineEvent({
  name: 'audit.v1.cloudtrail',
  stream: 'AUDIT',
  schema: cloudTrailPushedSchema,
  msgId: (e) => `cloudtrail:${e.batchId}`,
});
