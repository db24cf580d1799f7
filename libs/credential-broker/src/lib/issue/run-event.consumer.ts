/**
 * How the broker's durable consumer of run events behaves. Static because `@OnEvent` reads it at
 * decoration time. The ack wait is also the ledger's claim lease: a replica killed mid-issuance
 * has its event redelivered, and its claim taken over, after this long.
 */
export const RUN_EVENT_CONSUMER = {
  durable: 'credential-broker',
  ackWaitMs: 10_000,
  maxDeliver: 8,
  concurrency: 64,
  backoff: { baseMs: 200, maxMs: 5_000 },
} as const;
