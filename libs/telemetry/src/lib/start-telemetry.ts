// Loaded before Nest: keep this file's imports to OpenTelemetry packages only.
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { envDetector, hostDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { runtrailInstrumentations } from './instrumentations';

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
}

export interface TelemetryHandle {
  readonly mode: TelemetryMode;
  /** flushes pending spans and unregisters the SDK; call it when the app shuts down */
  shutdown(): Promise<void>;
}

let running: TelemetryHandle | undefined;
/** The pull reader behind `/metrics` while the SDK runs. */
let prometheus: PrometheusExporter | undefined;
const serializer = new PrometheusSerializer();

/**
 * The process's metrics in the Prometheus text format (what `GET /metrics` answers): every metric
 * of {@link RUNTRAIL_METRICS} recorded so far, `http.server.request.duration`, and `target_info`
 * with the service's resource. Empty when telemetry is not started or `OTEL_SDK_DISABLED=true`.
 */
export async function prometheusText(): Promise<string> {
  if (!prometheus) return '';
  const { resourceMetrics } = await prometheus.collect();
  return serializer.serialize(resourceMetrics);
}

function flag(name: string): boolean {
  return /^true$/i.test(process.env[name]?.trim() ?? '');
}

function otlpConfigured(signal: 'TRACES' | 'METRICS'): boolean {
  return !!(process.env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]?.trim() || process.env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim());
}

/** Prometheus (pulled by `/metrics`), plus OTLP every `OTEL_METRIC_EXPORT_INTERVAL` ms when configured. */
function metricReaders(): IMetricReader[] {
  prometheus = new PrometheusExporter({ preventServerStart: true });
  const readers: IMetricReader[] = [prometheus];
  const interval = Number(process.env['OTEL_METRIC_EXPORT_INTERVAL']?.trim() || 60_000) || 60_000;
  if (otlpConfigured('METRICS') && !/^none$/i.test(process.env['OTEL_METRICS_EXPORTER']?.trim() ?? ''))
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter(),
        exportIntervalMillis: interval,
        exportTimeoutMillis: Math.min(interval, 30_000),
      }),
    );
  return readers;
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
 * {@link runtrailInstrumentations} are registered (HTTP and Express; AWS SDK and pg only when spans are
 * exported). Metrics are always
 * kept for {@link prometheusText} (`/metrics`) and also exported over OTLP when an endpoint is set
 * (`OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` too; `OTEL_METRIC_EXPORT_INTERVAL`, default 60 s). Log
 * export stays off (logs go to stdout with their trace id). A second call returns the running handle.
 */
export function startTelemetry(options: TelemetryOptions): TelemetryHandle {
  if (running) return running;
  if (flag('OTEL_SDK_DISABLED')) return { mode: 'disabled', shutdown: async () => undefined };

  const exporter = options.exporter ?? (otlpConfigured('TRACES') ? new OTLPTraceExporter() : undefined);
  const mode: TelemetryMode = options.exporter ? 'custom' : exporter ? 'otlp' : 'silent';
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      'service.namespace': 'runtrail',
      ...(options.serviceVersion ? { 'service.version': options.serviceVersion } : {}),
    }),
    serviceName: options.serviceName,
    // No process detector: it would put the command line (runtrail exec's is the user's command,
    // arguments and all) on every span and on /metrics' target_info.
    resourceDetectors: [envDetector, hostDetector],
    // With no processor the SDK registers no tracer provider at all: spans cost nothing, yet the
    // context manager and propagator below keep an incoming trace id flowing to the next hop.
    spanProcessors: exporter ? [new BatchSpanProcessor(exporter)] : [],
    textMapPropagator: new W3CTraceContextPropagator(),
    metricReaders: metricReaders(),
    logRecordProcessors: [],
    instrumentations: runtrailInstrumentations(mode !== 'silent'),
  });
  sdk.start();
  const handle: TelemetryHandle = {
    mode,
    shutdown: async () => {
      if (running !== handle) return;
      running = undefined;
      prometheus = undefined;
      try {
        await sdk.shutdown();
      } finally {
        trace.disable();
        metrics.disable();
        propagation.disable();
        context.disable();
      }
    },
  };
  running = handle;
  return handle;
}
