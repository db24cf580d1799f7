import { metrics } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

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
