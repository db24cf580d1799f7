import type { ConsumerMessages } from '@nats-io/jetstream';

/**
 * How long a pull request waits on the server before it is renewed: one pull request per 4 s per
 * consumer when idle. nats.js's default (30 s) left a consumer whose leader moved to another node
 * silent for 30-80 s.
 */
export const PULL_EXPIRES_MS = 4_000;

/** The server's idle heartbeat on a pull (a service's and `runtrail exec`'s): two missed make the client pull again. */
export const PULL_HEARTBEAT_MS = 1_000;

/** Events of a pull consumer that show the server is talking to it. */
const ALIVE = new Set(['heartbeat', 'next', 'discard', 'reset', 'consumer_pinned', 'consumer_unpinned', 'debug']);
/** Events that show it is not receiving (leader gone, consumer or stream missing, no responders). */
const STALLED = new Set(['heartbeats_missed', 'consumer_not_found', 'stream_not_found', 'no_responders', 'consumer_deleted']);

interface Liveness {
  stream: string;
  lastAliveAt: number;
  /** The event that stalled it, until the next sign of life. */
  stalledBy: string | null;
}

/**
 * Readiness of the process's JetStream pull consumers (`/health/ready` check `jetstream`): down
 * while any consumer has stopped receiving — it missed its idle heartbeats, its consumer or stream
 * is missing, or nothing (no heartbeat, pull or message) came for two pull expiries. A consumer
 * stalled by a leader move recovers on its own; readiness says so in the meantime.
 */
export class ConsumerHealth {
  readonly readinessName = 'jetstream';
  private readonly consumers = new Map<string, Liveness>();

  constructor(private readonly silentAfterMs = 2 * PULL_EXPIRES_MS + 1_000) {}

  /** Follows a consumer's status events until it stops; returns what forgets it. */
  watch(stream: string, durable: string, messages: ConsumerMessages): () => void {
    const liveness: Liveness = { stream, lastAliveAt: Date.now(), stalledBy: null };
    this.consumers.set(durable, liveness);
    void (async () => {
      for await (const status of messages.status()) {
        if (ALIVE.has(status.type)) this.alive(durable);
        else if (STALLED.has(status.type)) liveness.stalledBy = status.type;
      }
    })().catch(() => undefined);
    return () => this.consumers.delete(durable);
  }

  /** A message arrived for `durable`. */
  alive(durable: string): void {
    const liveness = this.consumers.get(durable);
    if (!liveness) return;
    liveness.lastAliveAt = Date.now();
    liveness.stalledBy = null;
  }

  /** One line per consumer that is not receiving, naming it and why. */
  problems(now = Date.now()): string[] {
    const lines: string[] = [];
    for (const [durable, l] of this.consumers) {
      const silentS = Math.round((now - l.lastAliveAt) / 1000);
      if (l.stalledBy) lines.push(`consumer ${l.stream}/${durable} stopped receiving (${l.stalledBy}, ${silentS} s ago last heard)`);
      else if (now - l.lastAliveAt > this.silentAfterMs)
        lines.push(`consumer ${l.stream}/${durable} stopped receiving (no heartbeat for ${silentS} s)`);
    }
    return lines;
  }

  async isReady(): Promise<boolean> {
    return this.problems().length === 0;
  }
}
