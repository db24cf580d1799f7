import {
  jetstream,
  jetstreamManager,
  type Consumer,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import {
  deliveryFailedSchema,
  deliveryPlaintextSchema,
  deliverySchema,
  runDeliverySubjects,
  STREAMS,
  workerConsumer,
  type Delivery,
  type DeliveryFailed,
  type DeliveryPlaintext,
  type Phase,
} from '@runtrail/contracts';
import { ensureWorkerConsumer } from '@runtrail/nats-setup';
import { open, type SealingKeyPair } from '@runtrail/sealing';
import { extractTraceContext, PULL_HEARTBEAT_MS, retryJetStream } from '@runtrail/messaging/client';
import type { Context } from '@opentelemetry/api';
import { setTimeout as delay } from 'node:timers/promises';
import { execTracer } from './exec-trace';

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

/**
 * How `exec` pulls: one message per pull request, which the server ends after `expires` (a 408)
 * and keeps alive with an idle heartbeat every `idle_heartbeat`. Two missed heartbeats mean the
 * pull has no server behind it any more (the consumer's leader died with its waiting pull
 * requests, or the connection moved to another node): the fetch fails and `exec` pulls again at
 * once. `bind`: nats.js pulls again on a reconnect without asking CONSUMER.INFO first, a request
 * that waits for the consumer's new leader (5 s timeouts, retried after `expires`).
 */
export const EXEC_PULL = { max_messages: 1, expires: 3_000, idle_heartbeat: PULL_HEARTBEAT_MS, bind: true } as const;
/** After a pull failed (missed heartbeats, no responders), the next one is this much later. */
const PULL_RETRY_MS = 250;
/**
 * Timeout of `exec`'s JetStream API calls (the consumer's lookup): a CONSUMER.INFO sent while the
 * consumer has no leader goes unanswered, and is asked again sooner than nats.js's 5 s default.
 */
export const JETSTREAM_API_TIMEOUT_MS = 2_000;

/** While a delivery is awaited, the pull is made again after the server said nothing for this long. */
export const SILENCE_REOPEN_MS = 10_000;
const SILENCE_CHECK_MS = 2_500;
/** Status events of a pull that come from the server (`debug` is its 408 when a pull expires). */
const SERVER_SPOKE = new Set(['heartbeat', 'discard', 'debug']);

/**
 * Another run's message goes back for a parallel `exec` of the same worker after a random delay in
 * this range (1 s on average). Not at once: a message whose `exec` is gone (redelivered after a
 * node's death lost its ack) would come first on every pull (JetStream redelivers before it
 * delivers new messages) and starve the others. Random: with a fixed delay, two runs' `exec`s kept
 * swapping each other's deliveries: each message came back in the order they had been handed back,
 * to the pulls made again in that same order, so each `exec` got back the message it had just
 * handed back (4-6 hand-backs, 4-6 s, in the cluster exec e2e, also with the `exec` stepping aside
 * longer than the delay).
 */
export const HAND_BACK_MS = { min: 200, max: 1_800 } as const;
/** After a hand-back, the `exec` pulls again this much later: back in line behind a waiting owner. */
export const HAND_BACK_PAUSE_MS = 150;

/**
 * While a delivery is awaited, `exec` also reads the last message on its run's two subjects
 * (delivery, failure notice) directly this often: any replica of DELIVERIES answers
 * (`allow_direct`, set by `runtrail nats setup`), also through a leader election. Through the
 * worker's shared consumer a run's delivery can reach parallel `exec`s of the same worker first, be
 * handed back and come round again several times (one waited 10.9 s after its delivery was stored,
 * handed back nine times, around a meta leader's death); read directly, it is there within a second.
 */
export const DIRECT_READ_MS = 1_000;

/** The delay of one hand-back (`random` in [0, 1)). */
export function handBackDelay(random: number = Math.random()): number {
  return Math.round(HAND_BACK_MS.min + random * (HAND_BACK_MS.max - HAND_BACK_MS.min));
}

/**
 * Another run's message is handed back until it has been in the stream this long; then no `exec`
 * is waiting for it (stale runs are
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
  /** When the server last spoke to a pull of this inbox (a message, heartbeat or pull expiry). */
  private lastHeardAt = Date.now();
  /** No pull before this time (after a hand-back). */
  private pausedUntil = 0;
  private stopped = false;
  /** Stream sequences of this run's messages already taken, through the consumer or read directly. */
  private readonly taken = new Set<number>();
  private readonly trace: ((line: string) => void) | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly runId: string,
    private readonly workerId: string,
    private readonly keys: SealingKeyPair,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.trace = execTracer(log);
  }

  async start(): Promise<void> {
    const trace = this.trace;
    if (trace)
      void (async () => {
        for await (const s of this.nc.status()) if (s.type !== 'update') trace(`connection ${JSON.stringify(s).slice(0, 200)}`);
      })();
    this.trace?.(`connected to ${this.nc.getServer()}`);
    void this.pullLoop(await this.lookup());
    void this.directReadLoop();
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
          jetstream(this.nc, { timeout: JETSTREAM_API_TIMEOUT_MS })
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

  /** Pulls from the consumer, one message per pull, until stopped. */
  private async pullLoop(consumer: Consumer): Promise<void> {
    while (!this.stopped) {
      const pause = this.pausedUntil - Date.now();
      if (pause > 0) {
        await sleep(pause);
        continue;
      }
      try {
        const messages = await consumer.fetch({ ...EXEC_PULL });
        this.messages = messages;
        if (this.stopped) await messages.close();
        void (async () => {
          for await (const s of messages.status()) {
            if (SERVER_SPOKE.has(s.type)) this.lastHeardAt = Date.now();
            if (s.type !== 'heartbeat') this.trace?.(`pull ${JSON.stringify(s).slice(0, 200)}`);
          }
        })();
        for await (const msg of messages) {
          this.lastHeardAt = Date.now();
          await this.take(msg);
        }
      } catch (error) {
        // Missed heartbeats (the pull's server is gone) or no responders (no leader yet): pull again.
        this.trace?.(`pull failed: ${error instanceof Error ? error.message : String(error)}`);
        if (!this.stopped) await sleep(PULL_RETRY_MS);
      }
    }
  }

  /**
   * While a delivery is awaited, reads the last message on each of this run's subjects directly,
   * every {@link DIRECT_READ_MS}, and takes what the consumer has not brought yet. Its consumer copy
   * is acked when it comes, or handed back by a parallel `exec` until it is dropped. Stops for good
   * when NATS refuses the read: deploy/nats/auth.conf older than this lacks the pool's
   * `$JS.API.DIRECT.GET` permission, and the consumer alone still works.
   */
  private async directReadLoop(): Promise<void> {
    const subjects = runDeliverySubjects(this.workerId, this.runId);
    let jsm: JetStreamManager | undefined;
    while (!this.stopped) {
      await sleep(DIRECT_READ_MS);
      if (this.stopped || this.waiters.size === 0) continue;
      try {
        jsm ??= await jetstreamManager(this.nc, { checkAPI: false, timeout: JETSTREAM_API_TIMEOUT_MS });
        await Promise.all([this.readLast(jsm, subjects.delivery), this.readLast(jsm, subjects.failed)]);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (/permission/i.test(reason)) {
          this.log(
            `reading this run's deliveries directly is not allowed (${reason}); waiting on the consumer only. Give the pool user "$JS.API.DIRECT.GET.DELIVERIES.${workerConsumer(this.workerId).filter}" (deploy/nats/auth.conf)`,
          );
          return;
        }
        // No leader or replica answering yet, or DELIVERIES without allow_direct: the consumer still brings it.
        this.trace?.(`direct read failed: ${reason}`);
      }
    }
  }

  private async readLast(jsm: JetStreamManager, subject: string): Promise<void> {
    const stored = await jsm.direct.getMessage(STREAMS.DELIVERIES.name, { last_by_subj: subject });
    if (!stored || this.taken.has(stored.seq)) return;
    const parsed = parseMessage(stored.subject, () => stored.json());
    this.trace?.(
      `read ${stored.subject.split('.').slice(-2).join('.')} directly, stored ${Math.round(Date.now() - stored.time.getTime())} ms ago`,
    );
    if (parsed?.runId === this.runId) await this.accept(parsed, stored.seq, stored.header);
  }

  /**
   * While this run waits for a delivery and the server said nothing at all to its pulls (no
   * message, heartbeat or expiry) for {@link SILENCE_REOPEN_MS}, the current pull is dropped and
   * another one made: the last resort should a pull be left without a server and without its
   * heartbeats being missed. A broker that is merely slow to deliver does not count.
   */
  private reopenIfSilent(): void {
    if (this.stopped || this.waiters.size === 0) return;
    if (Date.now() - this.lastHeardAt < SILENCE_REOPEN_MS) return;
    this.log(`nothing from the delivery consumer for ${SILENCE_REOPEN_MS / 1000} s; pulling again`);
    this.lastHeardAt = Date.now();
    void this.messages?.close().catch(() => undefined);
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
      this.trace?.(`waiting for ${phase ?? 'any phase'}`);
      check();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.watchdog);
    await this.messages?.close();
  }

  private async take(msg: JsMsg): Promise<void> {
    const parsed = parseMessage(msg.subject, () => msg.json());
    if (!parsed) return msg.term(); // not a message of the contract: nobody can use it
    if (this.trace) {
      const whose = parsed.runId !== this.runId ? 'other' : this.taken.has(msg.seq) ? 'OWN (read directly before)' : 'OWN';
      this.trace(
        `took ${msg.subject.split('.').slice(-2).join('.')} ${whose}, stored ${Math.round(Date.now() - msg.info.timestampNanos / 1e6)} ms ago, delivery ${msg.info.deliveryCount}`,
      );
    }
    if (parsed.runId !== this.runId) return this.handBack(msg, parsed.delivery?.expiresAt);
    await this.accept(parsed, msg.seq, msg.headers);
    msg.ack();
  }

  /** This run's message, once, whichever way it came. */
  private async accept(parsed: ParsedMessage, seq: number, headers: MsgHdrs | undefined): Promise<void> {
    if (this.taken.has(seq)) return;
    this.taken.add(seq);
    const { failure, delivery } = parsed;
    if (failure) {
      this.record(() => this.failures.push(failure));
    } else if (delivery) {
      // A delivery sealed to an earlier attempt's key cannot be opened: it is not ours.
      const plaintext = await open(delivery.sealed, this.keys.privateKey, deliveryPlaintextSchema).catch(
        () => null,
      );
      const trace = extractTraceContext(headers);
      if (plaintext) this.record(() => this.opened.push({ delivery, plaintext, trace }));
    }
  }

  /** Another run's message: back to the consumer for a parallel `exec`, unless nobody can use it any more. */
  private handBack(msg: JsMsg, expiresAt: string | undefined): void {
    if (handBackAction(expiresAt, msg.info.timestampNanos / 1e6) === 'term') return msg.term();
    // Back for another `exec`, after a random delay; this one pulls again a moment later.
    msg.nak(handBackDelay());
    this.pausedUntil = Date.now() + HAND_BACK_PAUSE_MS;
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

/** A pause that does not keep the process alive on its own (exec exits once its run is done). */
function sleep(ms: number): Promise<void> {
  return delay(ms, undefined, { ref: false });
}

/** A message of DELIVERIES as the contract defines it: a delivery, or a failure notice (`….failed`). */
interface ParsedMessage {
  runId: string;
  delivery?: Delivery;
  failure?: DeliveryFailed;
}

function parseMessage(subject: string, json: () => unknown): ParsedMessage | null {
  let body: unknown;
  try {
    body = json();
  } catch {
    return null;
  }
  if (subject.endsWith('.failed')) {
    const failure = deliveryFailedSchema.safeParse(body);
    return failure.success ? { runId: failure.data.runId, failure: failure.data } : null;
  }
  const delivery = deliverySchema.safeParse(body);
  return delivery.success ? { runId: delivery.data.runId, delivery: delivery.data } : null;
}
