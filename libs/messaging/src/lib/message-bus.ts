import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { headers as natsHeaders, RequestError, TimeoutError, type NatsConnection } from '@nats-io/transport-node';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  parseOrThrow,
  RuntrailError,
  type EventContract,
  type ReplyOf,
  type RequestContract,
  type RequestOf,
} from '@runtrail/contracts';
import type { z } from 'zod';
import type { ReplyEnvelope } from './reply-envelope';
import { retryJetStream } from './jetstream-retry';
import { injectTraceContext } from './trace-headers';

/**
 * How long a publish is retried while the stream has no leader (an election after a node loss
 * takes a few seconds). Under the broker's 10 s ack wait, so a handler that publishes keeps its
 * message; a repeat after a lost PubAck is dropped by the `Nats-Msg-Id`.
 */
export const PUBLISH_RETRY_MS = 8_000;

const tracer = trace.getTracer('runtrail-messaging');
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface PublishResult {
  stream: string;
  seq: number;
  /** True when JetStream dropped the message as a repeat of an earlier `Nats-Msg-Id`. */
  duplicate: boolean;
}

/**
 * The typed client of runtrail's messaging: the contract decides the payload type at compile time,
 * and payloads are validated before they leave the process.
 */
export class MessageBus {
  private readonly js: JetStreamClient;

  constructor(private readonly nc: NatsConnection) {
    this.js = jetstream(nc);
  }

  /**
   * Publishes a fact on JetStream with its deterministic `Nats-Msg-Id` (a repeat is a no-op),
   * retrying through a leader election for up to {@link PUBLISH_RETRY_MS}.
   */
  async publish<C extends EventContract>(contract: C, payload: z.input<C['schema']>): Promise<PublishResult> {
    const event = parseOrThrow(contract.schema, payload, `${contract.name} event`);
    const subject = contract.subject(event);
    const span = tracer.startSpan(`${subject} publish`, {
      kind: SpanKind.PRODUCER,
      attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject, 'messaging.operation.type': 'publish' },
    });
    try {
      const headers = natsHeaders();
      injectTraceContext(headers, trace.setSpan(context.active(), span));
      const data = encoder.encode(JSON.stringify(event));
      const ack = await retryJetStream(() => this.js.publish(subject, data, { msgID: contract.msgId(event), headers }), {
        what: `publish ${subject}`,
        budgetMs: PUBLISH_RETRY_MS,
      });
      return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw new RuntrailError('UNAVAILABLE', `could not publish ${subject}: ${(error as Error).message}`, undefined, {
        cause: error,
      });
    } finally {
      span.end();
    }
  }

  /** Asks a question over core NATS; resolves with the validated reply or throws a typed {@link RuntrailError}. */
  async request<C extends RequestContract>(
    contract: C,
    payload: RequestOf<C>,
    options: { timeoutMs?: number } = {},
  ): Promise<ReplyOf<C>> {
    const request = parseOrThrow(contract.request, payload, `${contract.subject} request`);
    const span = tracer.startSpan(`${contract.subject} request`, {
      kind: SpanKind.CLIENT,
      attributes: { 'messaging.system': 'nats', 'messaging.destination.name': contract.subject },
    });
    try {
      const headers = natsHeaders();
      injectTraceContext(headers, trace.setSpan(context.active(), span));
      const reply = await this.nc
        .request(contract.subject, encoder.encode(JSON.stringify(request)), { timeout: options.timeoutMs ?? 10_000, headers })
        .catch((error: unknown) => {
          throw toRequestError(contract.subject, error);
        });
      const envelope = JSON.parse(decoder.decode(reply.data)) as ReplyEnvelope<unknown>;
      if (!envelope.ok) throw RuntrailError.fromBody(envelope.error);
      return parseOrThrow(contract.reply, envelope.data, `${contract.subject} reply`) as ReplyOf<C>;
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  }
}

function toRequestError(subject: string, error: unknown): RuntrailError {
  if (error instanceof RequestError && error.isNoResponders()) {
    return new RuntrailError('NO_RESPONDERS', `no service answers ${subject}; is it running?`, undefined, { cause: error });
  }
  if (error instanceof TimeoutError) {
    return new RuntrailError('TIMEOUT', `${subject} did not answer in time`, undefined, { cause: error });
  }
  const text = error instanceof Error ? error.message : String(error);
  return new RuntrailError('UNAVAILABLE', `${subject} failed: ${text}`, undefined, { cause: error });
}
