// OpenTelemetry's SDK half of start-telemetry.ts, loaded by the first start that records or exports
// (requiring it costs about 0.5 s of CPU). Keep this file's imports to OpenTelemetry packages only.
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { envDetector, hostDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { runtrailInstrumentations } from './instrumentations';

import type { TelemetryHandle, TelemetryMode, TelemetryOptions } from './start-telemetry';
import { otlpConfigured } from './telemetry-env';

let running: TelemetryHandle | undefined;
/** The pull reader behind `/metrics` while the SDK runs. */
let prometheus: PrometheusExporter | undefined;
const serializer = new PrometheusSerializer();

/** See start-telemetry.ts, which answers '' until the SDK is loaded. */
export async function prometheusText(): Promise<string> {
  if (!prometheus) return '';
  const { resourceMetrics } = await prometheus.collect();
  return serializer.serialize(resourceMetrics);
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

/** {@link startTelemetry}'s SDK: registers it globally and returns the running handle. */
export function startSdk(options: TelemetryOptions): TelemetryHandle {
  if (running) return running;

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
