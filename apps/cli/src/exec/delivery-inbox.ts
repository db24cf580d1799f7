import { jetstream, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
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

  constructor(
    private readonly nc: NatsConnection,
    private readonly runId: string,
    private readonly workerId: string,
    private readonly keys: SealingKeyPair,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  async start(): Promise<void> {
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
    // One message at a time: another run's message handed back goes to the next waiting puller.
    // Short pull expiry: after the consumer's leader moves, pulling resumes within seconds.
    const messages = await consumer.consume({ max_messages: 1, expires: PULL_EXPIRES_MS });
    this.messages = messages;
    void (async () => {
      for await (const msg of messages) await this.take(msg);
    })();
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
