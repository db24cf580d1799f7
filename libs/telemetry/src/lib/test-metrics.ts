import { metrics } from '@opentelemetry/api';

export interface TestMetrics {
  /** Everything recorded so far, as `GET /metrics` would serve it. */
  text(): Promise<string>;
  /** Unregisters the global meter provider. */
  shutdown(): Promise<void>;
}

/**
 * Records metrics for a test file: a meter provider registered globally, read as Prometheus text,
 * so code using `runtrailCounter(…)` and friends is measured as in production. Start it before
 * the code under test records; shut it down in `afterAll`.
 */
export function startTestMetrics(): TestMetrics {
  // The SDK packages are required here, not imported: a service importing @runtrail/telemetry does not load them.
  const { PrometheusExporter, PrometheusSerializer } = require('@opentelemetry/exporter-prometheus') as typeof import('@opentelemetry/exporter-prometheus');
  const { MeterProvider } = require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
  const reader = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [reader] });
  metrics.disable();
  metrics.setGlobalMeterProvider(provider);
  const serializer = new PrometheusSerializer();
  return {
    text: async () => serializer.serialize((await reader.collect()).resourceMetrics),
    shutdown: async () => {
      await provider.shutdown();
      metrics.disable();
    },
  };
}
