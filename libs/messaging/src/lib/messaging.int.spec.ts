import { Controller, type INestMicroservice } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  defineEvent,
  defineRequest,
  RuntrailError,
  STREAMS,
  deadLetterSchema,
  type StreamSpec,
} from '@runtrail/contracts';
import { ensureStreams } from '@runtrail/nats-setup';
import { testNatsUrl, uniqueName, until } from '@runtrail/testing';
import { z } from 'zod';
import { JetStreamContext } from './contexts';
import { OnEvent, OnRequest } from './handler-options';
import { awaitStreams } from './await-streams';
import { JetStreamServer } from './jetstream.server';
import { MessageBus } from './message-bus';

// Every test gets its own stream and subjects so suites never see each other's messages.
function testContracts() {
  const id = uniqueName('t');
  const stream: StreamSpec = { name: `TEST_${id}`, subjects: [`test.${id}.thing.>`], maxAgeSeconds: 600, duplicateWindowSeconds: 120 };
  const event = defineEvent({
    name: `test.${id}.thing`,
    pattern: `test.${id}.thing.*`,
    stream: stream.name,
    schema: z.object({ n: z.number().int(), key: z.string() }),
    subject: (e) => `test.${id}.thing.${e.key}`,
    msgId: (e) => `${e.key}:${e.n}`,
  });
  const request = defineRequest({
    subject: `test.${id}.ask`,
    request: z.object({ q: z.string().min(1) }),
    reply: z.object({ a: z.string() }),
  });
  return { id, stream, event, request, durable: `d_${id}`, streams: { [stream.name]: stream, DLQ: STREAMS.DLQ } };
}

type Contracts = ReturnType<typeof testContracts>;

/** Records what handlers saw; behaviour is scripted per test through `onEvent`. */
class Recorder {
  seen: Array<{ n: number; key: string; delivery: number }> = [];
  onEvent: (e: { n: number; key: string }, delivery: number) => Promise<void> = async () => undefined;
}

function handlersFor(c: Contracts, recorder: Recorder) {
  @Controller()
  class Handlers {
    @OnEvent(c.event, { durable: c.durable, backoff: { baseMs: 20, maxMs: 50 }, maxDeliver: 3, ackWaitMs: 5_000 })
    async thing(@Payload() e: { n: number; key: string }, @Ctx() ctx: JetStreamContext) {
      recorder.seen.push({ ...e, delivery: ctx.deliveryCount });
      await recorder.onEvent(e, ctx.deliveryCount);
    }

    @OnRequest(c.request)
    ask(@Payload() req: { q: string }) {
      if (req.q === 'missing') throw new RuntrailError('NOT_FOUND', 'no such thing');
      if (req.q === 'bug') throw new Error('secret-looking internal detail');
      if (req.q === 'bad-reply') return { wrong: true };
      return { a: req.q.toUpperCase() };
    }
  }
  return Handlers;
}

async function startReplica(c: Contracts, recorder: Recorder): Promise<{ app: INestMicroservice; nc: NatsConnection }> {
  const nc = await connect({ servers: testNatsUrl() });
  // The operator's setup step; the server itself only waits for the streams.
  await ensureStreams(nc, Object.values(c.streams));
  const moduleRef = await Test.createTestingModule({ controllers: [handlersFor(c, recorder)] }).compile();
  const app = moduleRef.createNestMicroservice({ strategy: new JetStreamServer(nc, { streams: c.streams }), logger: false });
  await app.listen();
  return { app, nc };
}

async function stopReplica(r: { app: INestMicroservice; nc: NatsConnection }) {
  await r.app.close();
  await r.nc.drain();
}

describe('libs/messaging on a real nats-server', () => {
  let client: NatsConnection;
  let bus: MessageBus;

  beforeAll(async () => {
    client = await connect({ servers: testNatsUrl() });
    bus = new MessageBus(client);
  });
  afterAll(() => client.drain());

  it('does not redeliver an event whose handler takes longer than the ack wait: it is marked in progress', async () => {
    const c = testContracts();
    const recorder = new Recorder();
    recorder.onEvent = () => new Promise((r) => setTimeout(r, 7_000)); // the ack wait is 5 s
    const replica = await startReplica(c, recorder);
    await bus.publish(c.event, { n: 1, key: 'slow' });
    await until(() => recorder.seen.length >= 1);
    const jsm = await jetstreamManager(client);
    const settled = Date.now() + 9_000;
    let info = await jsm.consumers.info(c.stream.name, c.durable);
    while (Date.now() < settled && info.num_ack_pending > 0) {
      await new Promise((r) => setTimeout(r, 250));
      info = await jsm.consumers.info(c.stream.name, c.durable);
    }
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
    expect(recorder.seen).toEqual([{ n: 1, key: 'slow', delivery: 1 }]);
    await stopReplica(replica);
  }, 30_000);

  it('handles an event published twice with the same message id once', async () => {
    const c = testContracts();
    const recorder = new Recorder();
    const replica = await startReplica(c, recorder);
    const first = await bus.publish(c.event, { n: 1, key: 'a' });
    const second = await bus.publish(c.event, { n: 1, key: 'a' });
    await bus.publish(c.event, { n: 2, key: 'a' });
    await until(() => recorder.seen.length >= 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(recorder.seen.map((s) => s.n)).toEqual([1, 2]);
    await stopReplica(replica);
  });

  it('redelivers after a transient failure and acks on success', async () => {
    const c = testContracts();
    const recorder = new Recorder();
    recorder.onEvent = async (_e, delivery) => {
      if (delivery === 1) throw new RuntrailError('THROTTLED', 'slow down');
    };
    const replica = await startReplica(c, recorder);
    await bus.publish(c.event, { n: 7, key: 'b' });
    await until(() => recorder.seen.length >= 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(recorder.seen.map((s) => s.delivery)).toEqual([1, 2]);
    await stopReplica(replica);
  });

  it('dead-letters an invalid payload with its reason and does not redeliver it', async () => {
    const c = testContracts();
    const recorder = new Recorder();
    const replica = await startReplica(c, recorder);
    const dlq = client.subscribe(`dlq.v1.${c.stream.name}.${c.durable}`, { max: 1 });
    await jetstream(client).publish(`test.${c.id}.thing.x`, JSON.stringify({ n: 'not a number', key: 'x' }));
    const [letterMsg] = await collect(dlq, 1);
    const letter = deadLetterSchema.parse(JSON.parse(new TextDecoder().decode(letterMsg)));
    expect(letter.code).toBe('VALIDATION_FAILED');
    expect(letter.reason).toContain('n:');
    expect(letter.deliveries).toBe(1);
    expect(JSON.parse(Buffer.from(letter.payloadBase64, 'base64').toString())).toEqual({ n: 'not a number', key: 'x' });
    await new Promise((r) => setTimeout(r, 300));
    expect(recorder.seen).toHaveLength(0);
    const info = await (await jetstreamManager(client)).consumers.info(c.stream.name, c.durable);
    expect({ pending: info.num_pending, ackPending: info.num_ack_pending }).toEqual({ pending: 0, ackPending: 0 });
    await stopReplica(replica);
  });

  it('dead-letters a message that keeps failing once max deliveries are spent', async () => {
    const c = testContracts();
    const recorder = new Recorder();
    recorder.onEvent = async () => {
      throw new Error('database is down');
    };
    const replica = await startReplica(c, recorder);
    const dlq = client.subscribe(`dlq.v1.${c.stream.name}.${c.durable}`, { max: 1 });
    await bus.publish(c.event, { n: 1, key: 'c' });
    const [letterMsg] = await collect(dlq, 1);
    const letter = deadLetterSchema.parse(JSON.parse(new TextDecoder().decode(letterMsg)));
    expect(letter.reason).toMatch(/gave up after 3 deliveries; last error: Error: database is down/);
    expect(recorder.seen).toHaveLength(3);
    await stopReplica(replica);
  });

  it('shares messages between two replicas without losing or doubling any', async () => {
    const c = testContracts();
    const recorder = new Recorder();
    recorder.onEvent = () => new Promise((r) => setTimeout(r, 2));
    const a = await startReplica(c, recorder);
    const recorderB = new Recorder();
    recorderB.onEvent = recorder.onEvent;
    const b = await startReplica(c, recorderB);
    const total = 300;
    await Promise.all(Array.from({ length: total }, (_, n) => bus.publish(c.event, { n, key: 'k' })));
    await until(() => recorder.seen.length + recorderB.seen.length >= total);
    await new Promise((r) => setTimeout(r, 300));
    const all = [...recorder.seen, ...recorderB.seen].map((s) => s.n).sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: total }, (_, n) => n));
    expect(recorder.seen.length).toBeGreaterThan(0);
    expect(recorderB.seen.length).toBeGreaterThan(0);
    await Promise.all([stopReplica(a), stopReplica(b)]);
  });

  it('resumes where it stopped when a consumer restarts mid-stream', async () => {
    const c = testContracts();
    const recorder = new Recorder();
    // Past the 20th, handlers wait until the stop has begun, so that it lands mid-stream however fast
    // this machine is (with a fixed delay alone, a quick replica had handled all 200 before it).
    let stopBegun!: () => void;
    const stopping = new Promise<void>((r) => (stopBegun = r));
    recorder.onEvent = async () => {
      if (recorder.seen.length > 20) await stopping;
      await new Promise((r) => setTimeout(r, 5));
    };
    // More than the replica can hold when it stops: 20 handled, 64 in its handlers, up to a pull's
    // worth (64) it had received and still hands its handlers.
    const total = 300;
    let replica = await startReplica(c, recorder);
    await Promise.all(Array.from({ length: total }, (_, n) => bus.publish(c.event, { n, key: 'r' })));
    await until(() => recorder.seen.length > 20);
    // close() stops taking work before its first await; the held handlers then finish and are acked
    const stopped = stopReplica(replica);
    stopBegun();
    await stopped;
    const before = recorder.seen.length;
    expect(before).toBeLessThan(total);
    replica = await startReplica(c, recorder);
    await until(() => recorder.seen.length >= total);
    await new Promise((r) => setTimeout(r, 300));
    const ns = recorder.seen.map((s) => s.n).sort((x, y) => x - y);
    expect(ns).toEqual(Array.from({ length: total }, (_, n) => n));
    await stopReplica(replica);
  });

  describe('request-reply', () => {
    let c: Contracts;
    let replica: { app: INestMicroservice; nc: NatsConnection };
    beforeAll(async () => {
      c = testContracts();
      replica = await startReplica(c, new Recorder());
    });
    afterAll(() => stopReplica(replica));

    it('returns the validated reply', async () => {
      await expect(bus.request(c.request, { q: 'hi' })).resolves.toEqual({ a: 'HI' });
    });

    it('carries the handler error code', async () => {
      await expect(bus.request(c.request, { q: 'missing' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no such thing' });
    });

    it('hides unexpected errors behind INTERNAL', async () => {
      const error = await bus.request(c.request, { q: 'bug' }).catch((e: RuntrailError) => e);
      expect(error).toMatchObject({ code: 'INTERNAL' });
      expect((error as Error).message).not.toContain('secret-looking');
    });

    it('refuses a reply that breaks the contract', async () => {
      await expect(bus.request(c.request, { q: 'bad-reply' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    it('validates requests on both sides', async () => {
      await expect(bus.request(c.request, { q: '' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      const raw = await client.request(c.request.subject, JSON.stringify({ q: 5 }));
      expect(JSON.parse(raw.string())).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    });

    it('says NO_RESPONDERS when nobody answers', async () => {
      const nobody = defineRequest({ subject: `test.${c.id}.nobody`, request: z.object({}), reply: z.object({}) });
      await expect(bus.request(nobody, {})).rejects.toMatchObject({ code: 'NO_RESPONDERS' });
    });
  });

  it('starts consuming only once the setup step made its stream, saying what to run meanwhile', async () => {
    const c = testContracts();
    const recorder = new Recorder();
    const nc = await connect({ servers: testNatsUrl() });
    const lines: string[] = [];
    let ready = false;
    const waiting = awaitStreams(nc, [c.stream.name], { retryMs: 50, log: (l) => lines.push(l) }).then(
      () => (ready = true),
    );
    await until(() => lines.length > 0);
    expect(lines).toEqual([`stream ${c.stream.name} missing: run \`runtrail nats setup\`; retrying until it exists`]);
    expect(ready).toBe(false);
    const jsm = await jetstreamManager(nc);
    await expect(jsm.streams.info(c.stream.name)).rejects.toThrow(/not found/);

    await ensureStreams(nc, [c.stream]);
    await waiting;
    expect(lines).toHaveLength(1);
    const replica = await startReplica(c, recorder);
    await bus.publish(c.event, { n: 1, key: 'after-setup' });
    await until(() => recorder.seen.length === 1);
    await stopReplica(replica);
    await nc.drain();
  });

  it("links the consumer's span to the publisher's trace through the headers", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    try {
      const c = testContracts();
      const recorder = new Recorder();
      let handlerTraceId: string | undefined;
      recorder.onEvent = async () => {
        handlerTraceId = trace.getActiveSpan()?.spanContext().traceId;
      };
      const replica = await startReplica(c, recorder);
      const publisherSpan = trace.getTracer('test').startSpan('scheduler');
      await context.with(trace.setSpan(context.active(), publisherSpan), () => bus.publish(c.event, { n: 1, key: 't' }));
      publisherSpan.end();
      await until(() => recorder.seen.length >= 1);
      await stopReplica(replica);
      const traceId = publisherSpan.spanContext().traceId;
      expect(handlerTraceId).toBe(traceId);
      const consumerSpan = exporter.getFinishedSpans().find((s) => s.name.endsWith(' process'));
      expect(consumerSpan?.spanContext().traceId).toBe(traceId);
    } finally {
      trace.disable();
      propagation.disable();
      context.disable();
      await provider.shutdown();
    }
  });
});

async function collect(sub: AsyncIterable<{ data: Uint8Array }>, count: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const timer = setTimeout(() => (sub as unknown as { unsubscribe(): void }).unsubscribe(), 15_000);
  for await (const m of sub) {
    out.push(m.data);
    if (out.length >= count) break;
  }
  clearTimeout(timer);
  return out;
}
