import { context, propagation, trace, SpanKind } from '@opentelemetry/api';
import { startTestTracing, type TestTracing } from './test-tracing';

describe('startTestTracing', () => {
  let tracing: TestTracing;
  beforeAll(() => {
    tracing = startTestTracing();
  });
  afterEach(() => tracing.reset());
  afterAll(() => tracing.shutdown());

  it('records spans of any tracer, with the active span followed across await', async () => {
    const tracer = trace.getTracer('runtrail-messaging');
    await tracer.startActiveSpan('publish', async (parent) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      tracer.startSpan('after-await').end();
      parent.end();
    });
    const [child, parent] = tracing.spans();
    expect(parent!.name).toBe('publish');
    expect(child!.name).toBe('after-await');
    expect(child!.spanContext().traceId).toBe(parent!.spanContext().traceId);
    expect(child!.parentSpanContext?.spanId).toBe(parent!.spanContext().spanId);
    expect(startTestTracing()).toBe(tracing);
  });

  it('keeps the trace id through inject into a carrier, extract, and a child span', () => {
    const tracer = trace.getTracer('runtrail-messaging');
    const headers: Record<string, string> = {};
    const producer = tracer.startSpan('runs.v1.phase publish', { kind: SpanKind.PRODUCER });
    propagation.inject(trace.setSpan(context.active(), producer), headers);
    producer.end();
    expect(headers['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    const remote = propagation.extract(context.active(), headers);
    const consumer = tracer.startSpan('runs.v1.phase process', { kind: SpanKind.CONSUMER }, remote);
    consumer.end();

    const [published, processed] = tracing.spans();
    expect(processed!.spanContext().traceId).toBe(published!.spanContext().traceId);
    expect(processed!.parentSpanContext?.spanId).toBe(published!.spanContext().spanId);
    expect(processed!.parentSpanContext?.isRemote).toBe(true);
  });

  it('forgets spans on reset', () => {
    trace.getTracer('t').startSpan('x').end();
    expect(tracing.spans()).toHaveLength(1);
    tracing.reset();
    expect(tracing.spans()).toEqual([]);
  });
});
