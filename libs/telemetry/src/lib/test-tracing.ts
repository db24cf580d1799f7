import { context, propagation, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

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
  // The SDK packages are required here, not imported: a service importing @runtrail/telemetry does not load them.
  const { W3CTraceContextPropagator } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { node } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
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
