// Loaded before Nest, and by every process that records a metric: OpenTelemetry's SDK is required by
// the first start that needs it (./sdk-telemetry), not here, so importing @runtrail/telemetry is cheap.
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { flag, otlpConfigured } from './telemetry-env';

/**
 * - `disabled`: `OTEL_SDK_DISABLED=true`, nothing registered, every span a no-op;
 * - `silent`: no exporter configured; W3C context still flows (an incoming `traceparent` is passed
 *   on), spans are not recorded, nothing leaves the process;
 * - `otlp`: spans batched to `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`) over HTTP;
 * - `custom`: spans batched to the exporter given in the options.
 */
export type TelemetryMode = 'disabled' | 'silent' | 'otlp' | 'custom';

export interface TelemetryOptions {
  /** `service.name` of every span, e.g. `credential-broker` */
  serviceName: string;
  serviceVersion?: string;
  /** replaces the exporter picked from the environment */
  exporter?: SpanExporter;
  /**
   * When silent, register only what passes a trace on (a context manager and the W3C propagator),
   * not the SDK: no `/metrics`, no instrumentations. For a short-lived command that continues a trace
   * it was handed but serves nothing (`runtrail exec`); it then does not load the SDK at all.
   */
  light?: boolean;
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
  if (options.light && !options.exporter && !otlpConfigured('TRACES')) return startLight();
  return loadSdk().startSdk(options);
}

let light: TelemetryHandle | undefined;

/** Silent without the SDK: the active context follows `await`, and `traceparent` is read and written. */
function startLight(): TelemetryHandle {
  if (light) return light;
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const handle: TelemetryHandle = {
    mode: 'silent',
    shutdown: async () => {
      if (light !== handle) return;
      light = undefined;
      context.disable();
      propagation.disable();
    },
  };
  return (light = handle);
}
