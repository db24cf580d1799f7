// Frozen: v1 subjects and fields may gain optional members; anything breaking is a new major.
import { z } from 'zod';
import { defineEvent } from '../lib/define';
import { runDeliverySubjects } from './worker-consumer';
import { ERROR_CODES } from '../lib/errors';
import { isoDateTime, phase, scope, ulid, workerId } from '../lib/primitives';

/**
 * `deliveries.v1.<workerId>.<runId>.failed`: the worker's copy of `credentials.v1.failed`, on a
 * subject its NATS user may read (its durable consumer on DELIVERIES filters
 * `deliveries.v1.<workerId>.>`), so `runtrail exec` stops waiting at once. It names no account,
 * caller or role: everything else stays on `credentials.v1.failed`, which only audit reads.
 */
export const deliveryFailedSchema = z.object({
  runId: ulid,
  workerId,
  phase,
  scope,
  /** Null when no integration applies (e.g. nothing is attached for this scope). */
  integrationId: ulid.nullable(),
  code: z.enum(ERROR_CODES),
  reason: z.string(),
  failedAt: isoDateTime,
});
export type DeliveryFailed = z.infer<typeof deliveryFailedSchema>;

export const DeliveryFailedEvent = defineEvent({
  name: 'deliveries.v1.failed',
  pattern: 'deliveries.v1.*.*.failed',
  stream: 'DELIVERIES',
  schema: deliveryFailedSchema,
  subject: (e) => runDeliverySubjects(e.workerId, e.runId).failed,
  msgId: (e) => `${e.runId}:${e.phase}:${e.integrationId ?? 'none'}:failed`,
});
