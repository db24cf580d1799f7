import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, Server, type MessageHandler } from '@nestjs/microservices';
import {
  jetstream,
  type Consumer,
  type ConsumerInfo,
  type ConsumerMessages,
  type JetStreamClient,
  type JsMsg,
} from '@nats-io/jetstream';
import { headers as natsHeaders, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  deadLetterSubject,
  parseOrThrow,
  RuntrailError,
  STREAMS,
  type DeadLetter,
  type ErrorCode,
  type StreamSpec,
} from '@runtrail/contracts';
import { observeGauge, runtrailCounter } from '@runtrail/telemetry';
import { lastValueFrom } from 'rxjs';
import { redeliveryDelayMs } from './backoff';
import { Semaphore } from './semaphore';
import { classifyError } from './classify-error';
import { JetStreamContext, NatsRequestContext } from './contexts';
import { ensureDurableConsumer } from './ensure-durable-consumer';
import { awaitStreams } from './await-streams';
import { ConsumerHealth, PULL_EXPIRES_MS, PULL_HEARTBEAT_MS } from './consumer-health';
import { InProgressTicker } from './in-progress';
import { retryJetStream } from './jetstream-retry';
import type { EventHandlerExtras, RequestHandlerExtras } from './handler-options';
import type { ReplyEnvelope } from './reply-envelope';
import { extractTraceContext, injectTraceContext } from './trace-headers';

const tracer = trace.getTracer('runtrail-messaging');
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface JetStreamServerOptions {
  /**
   * The streams contracts may name. Default: runtrail's {@link STREAMS}; tests add their own. The
   * server never creates them (`runtrail nats setup` does): it waits at start until they exist.
   */
  streams?: Record<string, StreamSpec>;
  /** Pause between checks while a stream is missing at start. Default 2 s. */
  streamRetryMs?: number;
  /** Where consumers report whether they still receive (readiness); default: a private one. */
  health?: ConsumerHealth;
}

interface RunningConsumer {
  durable: string;
  messages: ConsumerMessages;
  loop: Promise<void>;
  /** stops reporting the consumer's gauges and readiness */
  unobserve: () => void;
  /** keeps the messages being handled from being redelivered meanwhile */
  inProgress: InProgressTicker;
}

const DEFAULTS = { maxDeliver: 5, ackWaitMs: 30_000, concurrency: 64, backoff: { baseMs: 250, maxMs: 30_000 } };

/**
 * Nest transport strategy on JetStream and core NATS. `@OnEvent` handlers get a durable pull
 * consumer each (created idempotently, shared by replicas, explicit ack); `@OnRequest` handlers
 * answer in a queue group. Payloads are validated against their contract before a handler runs.
 */
export class JetStreamServer extends Server implements CustomTransportStrategy {
  private readonly log = new Logger(JetStreamServer.name);
  private readonly js: JetStreamClient;
  private readonly consumers: RunningConsumer[] = [];
  private readonly subscriptions: Subscription[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private closing = false;
  private readonly streams: Record<string, StreamSpec>;
  /** Each durable consumer's filter subject: what `runtrail.messaging.dead_lettered` names. */
  private readonly filters = new Map<string, string>();
  private readonly health: ConsumerHealth;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: JetStreamServerOptions = {},
  ) {
    super();
    this.js = jetstream(nc);
    this.streams = options.streams ?? STREAMS;
    this.health = options.health ?? new ConsumerHealth();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      await awaitStreams(
        this.nc,
        Object.values(this.streams).map((s) => s.name),
        { retryMs: this.options.streamRetryMs, log: (line) => this.log.warn(line) },
      );
      for (const [pattern, head] of this.messageHandlers) {
        if (head.isEventHandler) {
          for (const handler of detachChain(head)) await this.startConsumer(pattern, handler);
        } else {
          this.startResponder(pattern, head);
        }
      }
      // The server must know every subscription before this replica reports itself listening.
      await this.nc.flush();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Stops taking work, lets in-flight messages finish (ack/nak), then drains the subscriptions. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.consumers.forEach((c) => c.unobserve());
    await Promise.all(this.consumers.map((c) => c.messages.close()));
    await Promise.all(this.consumers.map((c) => c.loop));
    await Promise.allSettled([...this.inFlight]);
    this.consumers.forEach((c) => c.inProgress.stop());
    await Promise.allSettled(this.subscriptions.map((s) => s.drain()));
  }

  on(): never {
    throw new Error('JetStreamServer does not emit transport events');
  }

  unwrap<T>(): T {
    return this.nc as T;
  }

  // ---- events -------------------------------------------------------------------------------

  private async startConsumer(pattern: string, handler: MessageHandler): Promise<void> {
    const { contract, consumer: options } = handler.extras as EventHandlerExtras;
    const spec = this.streams[contract.stream];
    if (!spec) throw new Error(`${contract.name} names stream ${contract.stream}, which this server does not know`);
    const stream = spec.name;
    const settings = { ...DEFAULTS, ...options, backoff: options.backoff ?? DEFAULTS.backoff };
    // At a cold cluster start the meta leader may not be elected yet (timeouts, "jetstream not
    // enabled"): wait for it rather than crash, whatever order services and NATS start in.
    const consumer = await retryJetStream(
      async () => {
        await ensureDurableConsumer(this.nc, stream, pattern, settings);
        return this.js.consumers.get(stream, options.durable);
      },
      { what: `consumer ${stream}/${options.durable}`, log: (line) => this.log.warn(line) },
    );
    // Short pull expiry and 1 s heartbeats: a pull left on a dead node or a leader that moved is
    // noticed after two missed heartbeats and made again at once (`bind`: without asking
    // CONSUMER.INFO first, which times out while the consumer has no leader and held the broker's
    // pulls back for seconds after a node's death).
    const messages = await consumer.consume({
      max_messages: settings.concurrency,
      expires: PULL_EXPIRES_MS,
      idle_heartbeat: PULL_HEARTBEAT_MS,
      bind: true,
    });
    const unwatch = this.health.watch(stream, options.durable, messages);
    const slots = new Semaphore(settings.concurrency);
    const inProgress = new InProgressTicker(settings.ackWaitMs);
    const loop = (async () => {
      for await (const msg of messages) {
        this.health.alive(options.durable);
        // Held from its arrival: a message waiting here for a free slot is this replica's too.
        const settled = inProgress.hold(msg);
        await slots.acquire();
        const work = this.processEvent(msg, handler, stream, settings).finally(() => {
          settled();
          slots.release();
          this.inFlight.delete(work);
        });
        this.inFlight.add(work);
      }
    })();
    this.filters.set(options.durable, pattern);
    const unobserve = observeConsumer(consumer, stream, options.durable);
    this.consumers.push({
      durable: options.durable,
      messages,
      loop,
      inProgress,
      unobserve: () => (unobserve(), unwatch()),
    });
    this.log.log(`consuming ${pattern} from ${stream} as ${options.durable}`);
  }

  private async processEvent(
    msg: JsMsg,
    handler: MessageHandler,
    stream: string,
    settings: { durable: string; maxDeliver: number; backoff: { baseMs: number; maxMs: number } },
  ): Promise<void> {
    const { contract } = handler.extras as EventHandlerExtras;
    const parent = extractTraceContext(msg.headers);
    const span = tracer.startSpan(
      `${msg.subject} process`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.destination.name': msg.subject,
          'messaging.consumer.group.name': settings.durable,
          'messaging.message.delivery_count': msg.info.deliveryCount,
        },
      },
      parent,
    );
    await context.with(trace.setSpan(parent, span), async () => {
      let data: unknown;
      try {
        data = parseOrThrow(contract.schema, JSON.parse(decoder.decode(msg.data)), `${contract.name} event`);
      } catch (error) {
        const reason = error instanceof RuntrailError ? error.message : `payload is not JSON: ${(error as Error).message}`;
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'invalid payload' });
        await this.deadLetter(msg, stream, settings.durable, 'VALIDATION_FAILED', reason);
        return span.end();
      }
      try {
        await lastValueFrom(this.transformToObservable(await handler(data, new JetStreamContext([msg]))), {
          defaultValue: undefined,
        });
        msg.ack();
      } catch (error) {
        const failure = classifyError(error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: failure.code });
        const delivery = msg.info.deliveryCount;
        if (!failure.transient) {
          await this.deadLetter(msg, stream, settings.durable, failure.code, failure.message);
        } else if (delivery >= settings.maxDeliver) {
          const reason = `gave up after ${delivery} deliveries; last error: ${failure.message}`;
          await this.deadLetter(msg, stream, settings.durable, failure.code, reason);
        } else {
          const delay = redeliveryDelayMs(delivery, settings.backoff.baseMs, settings.backoff.maxMs);
          this.log.warn(`${msg.subject} delivery ${delivery} failed (${failure.code}); retrying in ${delay} ms`);
          msg.nak(delay);
        }
      }
      span.end();
    });
  }

  /** Parks a message on `dlq.v1.<stream>.<consumer>` with the reason, then terminates it. */
  private async deadLetter(msg: JsMsg, stream: string, consumer: string, code: ErrorCode, reason: string): Promise<void> {
    const letter: DeadLetter = {
      stream,
      consumer,
      subject: msg.subject,
      streamSeq: msg.info.streamSequence,
      deliveries: msg.info.deliveryCount,
      code,
      reason,
      payloadBase64: Buffer.from(msg.data).toString('base64'),
      failedAt: new Date().toISOString(),
    };
    try {
      const headers = natsHeaders();
      injectTraceContext(headers);
      await this.js.publish(deadLetterSubject(stream, consumer), encoder.encode(JSON.stringify(letter)), {
        msgID: `${stream}:${consumer}:${letter.streamSeq}`,
        headers,
      });
      // No reason on the +TERM: nats-server 2.9 ignores a TERM that carries one. The reason is in the letter.
      msg.term();
      runtrailCounter('deadLettered').add(1, {
        'messaging.destination.name': this.filters.get(consumer) ?? stream,
        'messaging.consumer.group.name': consumer,
        'runtrail.error.code': code,
      });
      this.log.error(`dead-lettered ${msg.subject} (seq ${letter.streamSeq}, ${code}): ${reason}`);
    } catch (error) {
      // Never lose a message: if the dead-letter stream is unreachable, let it come back later.
      this.log.error(`could not dead-letter ${msg.subject}: ${(error as Error).message}`);
      msg.nak(5_000);
    }
  }

  // ---- requests -----------------------------------------------------------------------------

  private startResponder(subject: string, handler: MessageHandler): void {
    const extras = handler.extras as RequestHandlerExtras | undefined;
    if (!extras?.contract) throw new Error(`@MessagePattern('${subject}') needs a contract: use @OnRequest(contract)`);
    const sub = this.nc.subscribe(subject, {
      queue: extras.queue ?? subject,
      callback: (error, msg) => {
        if (error) return this.log.error(`subscription ${subject} failed: ${error.message}`);
        const work = this.answer(msg, handler, extras).finally(() => this.inFlight.delete(work));
        this.inFlight.add(work);
      },
    });
    this.subscriptions.push(sub);
    this.log.log(`answering ${subject}`);
  }

  private async answer(msg: Msg, handler: MessageHandler, { contract }: RequestHandlerExtras): Promise<void> {
    const parent = extractTraceContext(msg.headers);
    const span = tracer.startSpan(`${msg.subject} process`, { kind: SpanKind.SERVER }, parent);
    const envelope = await context.with(trace.setSpan(parent, span), async (): Promise<ReplyEnvelope<unknown>> => {
      try {
        const request = parseOrThrow(contract.request, JSON.parse(decoder.decode(msg.data)), `${contract.subject} request`);
        const result: unknown = await lastValueFrom(
          this.transformToObservable(await handler(request, new NatsRequestContext([msg]))),
          { defaultValue: undefined },
        );
        return { ok: true, data: parseOrThrow(contract.reply, result, `${contract.subject} reply`) };
      } catch (error) {
        const typed =
          error instanceof RuntrailError
            ? error
            : error instanceof SyntaxError
              ? new RuntrailError('VALIDATION_FAILED', `${contract.subject} request is not JSON`)
              : new RuntrailError('INTERNAL', `${contract.subject} failed unexpectedly`);
        if (typed.code === 'INTERNAL') this.log.error(`${msg.subject}: ${(error as Error).stack ?? String(error)}`);
        span.setStatus({ code: SpanStatusCode.ERROR, message: typed.code });
        return { ok: false, error: typed.toJSON() };
      } finally {
        span.end();
      }
    });
    if (msg.reply) msg.respond(encoder.encode(JSON.stringify(envelope)));
  }
}

/**
 * Reports a durable consumer's pending, ack-pending and redelivered counts at each metrics
 * collection, from one `CONSUMER.INFO` per collection. Returns what stops it.
 */
function observeConsumer(consumer: Consumer, stream: string, durable: string): () => void {
  const attributes = { 'messaging.destination.name': stream, 'messaging.consumer.group.name': durable };
  let asked = 0;
  let info: Promise<ConsumerInfo> | undefined;
  const latest = () => {
    if (!info || Date.now() - asked > 1_000) {
      asked = Date.now();
      info = consumer.info(false);
    }
    return info;
  };
  const stops = [
    observeGauge('consumerPending', attributes, async () => (await latest()).num_pending),
    observeGauge('consumerAckPending', attributes, async () => (await latest()).num_ack_pending),
    observeGauge('consumerRedelivered', attributes, async () => (await latest()).num_redelivered),
  ];
  return () => stops.forEach((stop) => stop());
}

/** Nest chains event handlers that share a pattern; each gets its own consumer here, so unchain them. */
function detachChain(head: MessageHandler): MessageHandler[] {
  const handlers: MessageHandler[] = [];
  for (let h: MessageHandler | undefined = head; h; ) {
    const next = h.next as MessageHandler | undefined;
    h.next = undefined;
    handlers.push(h);
    h = next;
  }
  return handlers;
}
