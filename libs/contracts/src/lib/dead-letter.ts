// Frozen: v1 subjects and fields may gain optional members; anything breaking is a new major.
import { z } from 'zod';
import { ERROR_CODES } from './errors';

/**
 * `dlq.v1.<stream>.<consumer>`: a message a consumer gave up on (terminated), with the reason.
 * The original payload is kept as received (base64) so that nothing is lost.
 */
export const deadLetterSchema = z.object({
  stream: z.string(),
  consumer: z.string(),
  subject: z.string(),
  streamSeq: z.number().int(),
  deliveries: z.number().int(),
  code: z.enum(ERROR_CODES),
  reason: z.string(),
  payloadBase64: z.string(),
  failedAt: z.string(),
});
export type DeadLetter = z.infer<typeof deadLetterSchema>;

export function deadLetterSubject(stream: string, consumer: string): string {
  return `dlq.v1.${stream}.${consumer}`;
}
