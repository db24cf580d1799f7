/**
 * How the broker's durable consumer of run events behaves. Static because `@OnEvent` reads it at
 * decoration time. The ack wait is also the ledger's claim lease: a replica killed mid-issuance
 * has its event redelivered, and its claim taken over, after this long (5 s; 10 s before
 * December 2026). A live replica's event is not redelivered however long its issuance takes:
 * libs/messaging marks it in progress every third of the ack wait, so a claim is taken over only
 * after its replica stopped or lost NATS (and then the delivery's Nats-Msg-Id keeps it one).
 *
 * `concurrency` is how many run events one replica works on at once. The ledger's statements and
 * the NATS writes of concurrent issuances go together (one statement per kind and round trip, one
 * socket write per turn of the event loop), so more in flight means fewer, larger batches: at 128
 * rather than 64, PostgreSQL's CPU per issuance fell by a third to a half in bench P1b. It stays well
 * under what the lease allows: the STS client's 50 sockets serve 128 issuances in about 2.6 STS
 * round trips.
 */
export const RUN_EVENT_CONSUMER = {
  durable: 'credential-broker',
  ackWaitMs: 5_000,
  maxDeliver: 8,
  concurrency: 128,
  backoff: { baseMs: 200, maxMs: 5_000 },
} as const;
