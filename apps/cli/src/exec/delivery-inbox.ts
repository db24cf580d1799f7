import { jetstream, type Consumer, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  deliveryFailedSchema,
  deliveryPlaintextSchema,
  deliverySchema,
  STREAMS,
  workerConsumer,
  type Delivery,
  type DeliveryFailed,
  type DeliveryPlaintext,
  type Phase,
} from '@runtrail/contracts';
import { ensureWorkerConsumer } from '@runtrail/nats-setup';
import { open, type SealingKeyPair } from '@runtrail/sealing';
import { extractTraceContext, PULL_EXPIRES_MS, retryJetStream } from '@runtrail/messaging';
import type { Context } from '@opentelemetry/api';

/** A delivery opened with the run's key: `plaintext` holds secrets and lives in memory only. */
export interface OpenedDelivery {
  delivery: Delivery;
  plaintext: DeliveryPlaintext;
  /** The trace the broker delivered in (the run's): refreshes continue it. */
  trace: Context;
}

/** Why no credentials came: the broker said so, or nothing came in time. */
export class CredentialsNotReceived extends Error {}

/** The worker's delivery consumer is missing or out of reach: an operator's setup problem. */
export class WorkerConsumerMissing extends Error {}

/**
 * How long `exec` keeps trying its JetStream calls while the cluster has no leader (an election
 * takes a few seconds) before it fails saying so.
 */
export const JETSTREAM_BUDGET_MS = 30_000;

/** The delivery consumer was looked up and JetStream said it does not exist. */
class ConsumerNotFound {
  constructor(readonly error: unknown) {}
}

/** While a delivery is awaited, the pull is opened again after this long without any message. */
export const SILENCE_REOPEN_MS = 10_000;
const SILENCE_CHECK_MS = 2_500;

/** Another run's message goes back for a parallel `exec` of the same worker this long after. */
const HAND_BACK_MS = 1_000;
/**
 * ...until it has been in the stream this long; then no `exec` is waiting for it (stale runs are
 * dropped). A count of hand-backs was not enough: while the run's own `exec` stalled through a
 * NATS node's death, its siblings handed its delivery back ten times in ten seconds and dropped it.
 */
export const HAND_BACK_FOR_MS = 120_000;

/**
 * What `exec` does with another run's message: `nak` hands it back for a parallel `exec` of the
 * same worker, `term` drops it once nobody can use it (its credentials expired, or it is older
 * than {@link HAND_BACK_FOR_MS}).
 */
export function handBackAction(expiresAt: string | undefined, storedAtMs: number, now = Date.now()): 'nak' | 'term' {
  const expired = expiresAt !== undefined && Date.parse(expiresAt) <= now;
  return expired || now - storedAtMs > HAND_BACK_FOR_MS ? 'term' : 'nak';
}

/**
 * The worker's inbox for one run: the worker's durable pull consumer `worker_<id>` on DELIVERIES
 * (made by `runtrail nats setup --worker <id>`; filtered `deliveries.v1.<id>.>`, so a delivery
 * published before `exec` started is not missed), from which it takes this run's deliveries and
 * failure notices (`deliveries.v1.<id>.<run>.failed`). Another run's messages are handed back for
 * a parallel `exec` of the same worker id, and dropped once expired or unclaimed.
 */
export class DeliveryInbox {
  private readonly opened: OpenedDelivery[] = [];
  private readonly failures: DeliveryFailed[] = [];
  private readonly waiters = new Set<() => void>();
  private messages?: ConsumerMessages;
  private watchdog?: NodeJS.Timeout;
  private lastMessageAt = Date.now();
  private reopening = false;
  private stopped = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly runId: string,
    private readonly workerId: string,
    private readonly keys: SealingKeyPair,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  async start(): Promise<void> {
    await this.pull(await this.lookup());
    this.watchdog = setInterval(() => this.reopenIfSilent(), SILENCE_CHECK_MS);
    this.watchdog.unref();
  }

  /** The worker's consumer, through a cluster's leader election; created on an open server only. */
  private async lookup(): Promise<Consumer> {
    const { durable } = workerConsumer(this.workerId);
    // Through a cluster's leader election (timeouts, "jetstream not enabled" for a few seconds),
    // bounded; a consumer that does not exist is the operator's to make, not a wait.
    const lookup = () =>
      retryJetStream(
        () =>
          jetstream(this.nc)
            .consumers.get(STREAMS.DELIVERIES.name, durable)
            .catch((error: unknown) => {
              if (/not found/i.test(String(error))) return new ConsumerNotFound(error);
              throw error;
            }),
        { what: `reading the delivery consumer DELIVERIES/${durable}`, budgetMs: JETSTREAM_BUDGET_MS, log: this.log },
      ).catch((error: unknown) => {
        throw this.missing(error);
      });
    let consumer = await lookup();
    if (consumer instanceof ConsumerNotFound) {
      if (!(await this.createOnOpenServer(consumer.error))) throw this.missing(consumer.error);
      consumer = await lookup();
      if (consumer instanceof ConsumerNotFound) throw this.missing(consumer.error);
    }
    return consumer;
  }

  /** Pulls from the consumer until stopped; a pull that ends on its own is opened again. */
  private async pull(consumer: Consumer): Promise<void> {
    // One message at a time: another run's message handed back goes to the next waiting puller.
    // Short pull expiry: after the consumer's leader moves, pulling resumes within seconds.
    const messages = await consumer.consume({ max_messages: 1, expires: PULL_EXPIRES_MS });
    this.messages = messages;
    this.lastMessageAt = Date.now();
    void (async () => {
      try {
        for await (const msg of messages) {
          this.lastMessageAt = Date.now();
          await this.take(msg);
        }
      } catch (error) {
        this.log(`the pull from the delivery consumer failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (this.messages === messages && !this.stopped) void this.reopen('the pull ended');
    })();
  }

  /**
   * While this run waits for a delivery and nothing at all (not even another run's message) came
   * for {@link SILENCE_REOPEN_MS}, the pull is opened again: a pull can be left without a server
   * behind it when a NATS node dies around a leader election, and then waits for ever while its
   * delivery circles between the worker's other `exec`s.
   */
  private reopenIfSilent(): void {
    if (this.stopped || this.reopening || this.waiters.size === 0) return;
    if (Date.now() - this.lastMessageAt < SILENCE_REOPEN_MS) return;
    void this.reopen(`nothing from the delivery consumer for ${SILENCE_REOPEN_MS / 1000} s`);
  }

  private async reopen(why: string): Promise<void> {
    if (this.stopped || this.reopening) return;
    this.reopening = true;
    this.log(`${why}; pulling again`);
    try {
      const stale = this.messages;
      this.messages = undefined;
      await stale?.close().catch(() => undefined);
      const consumer = await this.lookup();
      if (!this.stopped) await this.pull(consumer);
    } catch (error) {
      // The next check tries again; the run's own timeout still bounds the wait.
      this.log(`pulling again failed: ${error instanceof Error ? error.message : String(error)}`);
      this.lastMessageAt = Date.now();
    } finally {
      this.reopening = false;
    }
  }

  /**
   * The first delivery for `phase` (any phase when absent) from `integrationId` (any when absent).
   * @throws CredentialsNotReceived when the broker reports a failure for it, or after `timeoutMs`.
   */
  wait(
    phase: Phase | undefined,
    integrationId: string | undefined,
    timeoutMs: number,
  ): Promise<OpenedDelivery> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.opened.find(
          (o) =>
            (!phase || o.delivery.phase === phase) &&
            (!integrationId || o.delivery.integrationId === integrationId),
        );
        const failed = this.failures.find(
          (f) =>
            (!phase || f.phase === phase) &&
            (!integrationId || f.integrationId === null || f.integrationId === integrationId),
        );
        if (found) {
          done();
          resolve(found);
        } else if (failed) {
          done();
          reject(
            new CredentialsNotReceived(
              `no credentials for run ${this.runId} ${failed.phase}: ${failed.code}: ${failed.reason}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new CredentialsNotReceived(
            `no credentials for run ${this.runId}${phase ? ` ${phase}` : ''} within ${timeoutMs / 1000} s; is the credential broker running?`,
          ),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.watchdog);
    await this.messages?.close();
  }

  private async take(msg: JsMsg): Promise<void> {
    const failure = msg.subject.endsWith('.failed') ? deliveryFailedSchema.safeParse(parse(msg)) : null;
    const delivery = failure ? null : deliverySchema.safeParse(parse(msg));
    const runId = failure?.data?.runId ?? delivery?.data?.runId;
    if (!runId) return msg.term(); // not a message of the contract: nobody can use it
    if (runId !== this.runId) return this.handBack(msg, delivery?.data?.expiresAt);
    if (failure?.data) {
      const failed = failure.data;
      this.record(() => this.failures.push(failed));
    } else if (delivery?.data) {
      const sealed = delivery.data;
      // A delivery sealed to an earlier attempt's key cannot be opened: it is not ours.
      const plaintext = await open(sealed.sealed, this.keys.privateKey, deliveryPlaintextSchema).catch(
        () => null,
      );
      const trace = extractTraceContext(msg.headers);
      if (plaintext) this.record(() => this.opened.push({ delivery: sealed, plaintext, trace }));
    }
    msg.ack();
  }

  /** Another run's message: back to the consumer for a parallel `exec`, unless nobody can use it any more. */
  private handBack(msg: JsMsg, expiresAt: string | undefined): void {
    if (handBackAction(expiresAt, msg.info.timestampNanos / 1e6) === 'term') msg.term();
    else msg.nak(HAND_BACK_MS);
  }

  /** On a server without authentication (development) the worker may make its own consumer. */
  private async createOnOpenServer(error: unknown): Promise<boolean> {
    if (this.nc.info?.auth_required || !/not found/i.test(String(error))) return false;
    await ensureWorkerConsumer(this.nc, this.workerId);
    this.log(
      `made the delivery consumer ${workerConsumer(this.workerId).durable} itself (open NATS server; with auth the operator's \`runtrail nats setup --worker ${this.workerId}\` does)`,
    );
    return true;
  }

  private missing(error: unknown): WorkerConsumerMissing {
    const { durable } = workerConsumer(this.workerId);
    const reason = /not found/i.test(String(error))
      ? 'does not exist'
      : `cannot be read (${error instanceof Error ? error.message : String(error)})`;
    return new WorkerConsumerMissing(
      `the delivery consumer ${durable} on DELIVERIES ${reason}: the operator runs \`runtrail nats setup --worker ${this.workerId}\`, and this NATS user must be the pool user whose permissions name worker ${this.workerId} (deploy/nats/auth.conf)`,
    );
  }

  private record(change: () => void): void {
    change();
    for (const waiter of [...this.waiters]) waiter();
  }
}

function parse(msg: JsMsg): unknown {
  try {
    return msg.json();
  } catch {
    return null;
  }
}
