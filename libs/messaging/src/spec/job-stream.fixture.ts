import { defineEvent, STREAMS, type StreamSpec } from '@runtrail/contracts';
import { z } from 'zod';

/**
 * A stream of its own for one spec file (`id` unique to it, e.g. from `uniqueName`) on the shared nats-server: `TEST_<id>` with the event
 * `test.<id>.job` (`{ key }`, one subject and message id per key), the DLQ beside it for
 * `ensureStreams`, and a durable name for the spec's consumer.
 */
export function jobStream(id: string) {
  const stream: StreamSpec = { name: `TEST_${id}`, subjects: [`test.${id}.job.>`], maxAgeSeconds: 600, duplicateWindowSeconds: 120 };
  const job = defineEvent({
    name: `test.${id}.job`,
    pattern: `test.${id}.job.*`,
    stream: stream.name,
    schema: z.object({ key: z.string() }),
    subject: (e) => `test.${id}.job.${e.key}`,
    msgId: (e) => e.key,
  });
  return { id, stream, streams: { [stream.name]: stream, DLQ: STREAMS.DLQ }, job, durable: `d_${id}` };
}
