import { context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { node } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

export interface TestTracing {
  /** every span ended since the start or the last {@link TestTracing.reset}, in end order */
  spans(): ReadableSpan[];
  reset(): void;
  /** stops recording and unregisters the global tracer provider, context manager and propagator */
  shutdown(): Promise<void>;
}

let current: TestTracing | undefined;

/**
 * Records spans in memory for a test file: a tracer provider with a synchronous in-memory exporter,
 * an AsyncLocalStorage context manager (the active span follows `await`) and the W3C trace-context
 * propagator, all registered globally, so code using only `@opentelemetry/api`
 * (`trace.getTracer(…)`, `propagation.inject/extract`) is traced as in production.
 *
 * Whatever was registered before is replaced. Start it before the code under test asks for a
 * tracer and shut it down in `afterAll`; a second call while running returns the same recorder.
 * Works regardless of `OTEL_SDK_DISABLED`, which the test setup sets for everything else.
 */
export function startTestTracing(): TestTracing {
  if (current) return current;
  const exporter = new InMemorySpanExporter();
  const provider = new node.NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'runtrail-test' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  trace.disable();
  propagation.disable();
  context.disable();
  // registers the provider, an AsyncLocalStorage context manager and our propagator
  provider.register({ propagator: new W3CTraceContextPropagator() });
  const recorder: TestTracing = {
    spans: () => exporter.getFinishedSpans(),
    reset: () => exporter.reset(),
    shutdown: async () => {
      if (current === recorder) current = undefined;
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
  current = recorder;
  return recorder;
}
