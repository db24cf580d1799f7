import type { JsMsg } from '@nats-io/jetstream';

/**
 * Tells JetStream that the messages a replica is still handling are in progress (`+WPI`, which
 * restarts their ack wait), every third of the ack wait, for each message held longer than that.
 * So a message's ack wait runs out only when its replica stopped (died, or lost its connection),
 * and a consumer's ack wait can be short: a dead replica's messages come back after it, while a
 * slow handler's message is not redelivered to another replica as long as it works on it. One
 * timer per consumer; a message handled within a third of the ack wait costs a map entry.
 */
export class InProgressTicker {
  private readonly held = new Map<JsMsg, number>();
  private readonly timer: NodeJS.Timeout;
  private readonly everyMs: number;

  constructor(ackWaitMs: number) {
    this.everyMs = Math.max(100, Math.floor(ackWaitMs / 3));
    this.timer = setInterval(() => this.tick(), this.everyMs);
    this.timer.unref();
  }

  /** Starts following `msg`; call the returned function once it is acked, nak'ed or terminated. */
  hold(msg: JsMsg): () => void {
    this.held.set(msg, Date.now());
    return () => this.held.delete(msg);
  }

  stop(): void {
    clearInterval(this.timer);
    this.held.clear();
  }

  private tick(): void {
    const due = Date.now() - this.everyMs;
    for (const [msg, since] of this.held) if (since <= due) msg.working();
  }
}
