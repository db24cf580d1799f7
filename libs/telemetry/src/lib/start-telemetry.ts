// Loaded before Nest, and by every process that records a metric: OpenTelemetry's SDK is required by
// the first start that needs it (./sdk-telemetry), not here, so importing @runtrail/telemetry is cheap.
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { flag, otlpConfigured } from './telemetry-env';

/**
 * - `disabled`: `OTEL_SDK_DISABLED=true`, nothing registered, every span a no-op;
 * - `off`: `exportOnly` was asked and no exporter is configured: nothing registered or loaded;
 * - `silent`: no exporter configured; W3C context still flows (an incoming `traceparent` is passed
 *   on), spans are not recorded, nothing leaves the process;
 * - `otlp`: spans batched to `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`) over HTTP;
 * - `custom`: spans batched to the exporter given in the options.
 */
export type TelemetryMode = 'disabled' | 'off' | 'silent' | 'otlp' | 'custom';

export interface TelemetryOptions {
  /** `service.name` of every span, e.g. `credential-broker` */
  serviceName: string;
  serviceVersion?: string;
  /** replaces the exporter picked from the environment */
  exporter?: SpanExporter;
  /**
   * Start only when spans are exported (an `exporter` given or OTLP configured): for a short-lived
   * command with no incoming trace to pass on and no `/metrics` (`runtrail exec`), which then does
   * not load the SDK at all.
   */
  exportOnly?: boolean;
}

export interface TelemetryHandle {
  readonly mode: TelemetryMode;
  /** flushes pending spans and unregisters the SDK; call it when the app shuts down */
  shutdown(): Promise<void>;
}

type Sdk = typeof import('./sdk-telemetry');
let sdk: Sdk | undefined;

function loadSdk(): Sdk {
  return (sdk ??= require('./sdk-telemetry') as Sdk);
}

/**
 * The process's metrics in the Prometheus text format (what `GET /metrics` answers): every metric
 * of {@link RUNTRAIL_METRICS} recorded so far, `http.server.request.duration`, and `target_info`
 * with the service's resource. Empty when telemetry is not started or `OTEL_SDK_DISABLED=true`.
 */
export function prometheusText(): Promise<string> {
  return sdk ? sdk.prometheusText() : Promise.resolve('');
}

/**
 * Starts OpenTelemetry tracing for a service. Call it before Nest (or anything it traces) is
 * loaded: put the call in a module of its own and import that module first in `main.ts`:
 *
 * ```ts
 * // apps/audit/src/telemetry.ts
 * export const telemetry = startTelemetry({ serviceName: 'audit' });
 * // apps/audit/src/main.ts
 * import { telemetry } from './telemetry'; // first import
 * import { NestFactory } from '@nestjs/core';
 * ```
 *
 * Configuration comes from the standard variables: `OTEL_SDK_DISABLED`, `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_TRACES_SAMPLER`,
 * `OTEL_RESOURCE_ATTRIBUTES`. The propagator is always W3C trace context. The instrumentations of
 * runtrailInstrumentations (instrumentations.ts) are registered (HTTP and Express; AWS SDK and pg only when spans are
 * exported). Metrics are always
 * kept for {@link prometheusText} (`/metrics`) and also exported over OTLP when an endpoint is set
 * (`OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` too; `OTEL_METRIC_EXPORT_INTERVAL`, default 60 s). Log
 * export stays off (logs go to stdout with their trace id). A second call returns the running handle.
 */
export function startTelemetry(options: TelemetryOptions): TelemetryHandle {
  if (flag('OTEL_SDK_DISABLED')) return { mode: 'disabled', shutdown: async () => undefined };
  if (options.exportOnly && !options.exporter && !otlpConfigured('TRACES'))
    return { mode: 'off', shutdown: async () => undefined };
  return loadSdk().startSdk(options);
}
