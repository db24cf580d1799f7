// Loaded before Nest: keep this file's imports to OpenTelemetry packages only.
import { metrics, type Attributes, type Counter, type Histogram, type Meter, type ObservableGauge } from '@opentelemetry/api';

/** What a metric is, once for the code that records it, `/metrics`, the dashboard and the alert rules. */
export interface MetricDefinition {
  /** OpenTelemetry name (dots); Prometheus text replaces the dots with `_` (counters gain `_total`). */
  name: string;
  kind: 'counter' | 'histogram' | 'gauge';
  /** UCUM unit, as the semantic conventions write it (`s`, `{message}`). */
  unit: string;
  description: string;
  /** The only attributes recorded: bounded values, never a secret or a per-run/per-key id. */
  attributes: readonly string[];
  /** Histogram bucket boundaries, in the metric's unit. */
  buckets?: number[];
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Every metric runtrail's services record themselves (besides `http.server.request.duration`). */
export const RUNTRAIL_METRICS = {
  issuanceDuration: {
    name: 'runtrail.credentials.issuance.duration',
    kind: 'histogram',
    unit: 's',
    description: 'Time from claiming an issuance to its delivery (or its final failure), per mode and outcome',
    attributes: ['runtrail.mode', 'runtrail.outcome'],
    buckets: LATENCY_BUCKETS,
  },
  refreshes: {
    name: 'runtrail.credentials.refreshes',
    kind: 'counter',
    unit: '{refresh}',
    description: 'credentials.v1.refresh requests answered: refreshed, or the error code refused with',
    attributes: ['runtrail.outcome'],
  },
  stsErrors: {
    name: 'runtrail.sts.errors',
    kind: 'counter',
    unit: '{error}',
    description: 'Failed STS calls, per action, AWS error code and runtrail error code',
    attributes: ['rpc.method', 'error.type', 'runtrail.error.code'],
  },
  verificationChecks: {
    name: 'runtrail.verifier.checks',
    kind: 'counter',
    unit: '{check}',
    description: 'Trust-policy verification checks run, per check and outcome',
    attributes: ['runtrail.check', 'runtrail.outcome'],
  },
  consumerPending: {
    name: 'runtrail.jetstream.consumer.pending',
    kind: 'gauge',
    unit: '{message}',
    description: "Messages of a durable consumer's stream not delivered yet",
    attributes: ['messaging.destination.name', 'messaging.consumer.group.name'],
  },
  consumerAckPending: {
    name: 'runtrail.jetstream.consumer.ack_pending',
    kind: 'gauge',
    unit: '{message}',
    description: 'Messages delivered to a durable consumer and not acknowledged yet',
    attributes: ['messaging.destination.name', 'messaging.consumer.group.name'],
  },
  consumerRedelivered: {
    name: 'runtrail.jetstream.consumer.redelivered',
    kind: 'gauge',
    unit: '{message}',
    description: 'Messages of a durable consumer delivered more than once and still outstanding',
    attributes: ['messaging.destination.name', 'messaging.consumer.group.name'],
  },
  deadLettered: {
    name: 'runtrail.messaging.dead_lettered',
    kind: 'counter',
    unit: '{message}',
    description: 'Messages a consumer gave up on and parked on the DLQ stream, per subject filter and consumer',
    attributes: ['messaging.destination.name', 'messaging.consumer.group.name', 'runtrail.error.code'],
  },
  trailSourceLag: {
    name: 'runtrail.audit.trail_source.lag',
    kind: 'gauge',
    unit: 's',
    description: "How far behind now a trail source's reader is (now minus the newest time read up to)",
    attributes: ['cloud.account.id', 'cloud.region', 'runtrail.source'],
  },
  eventsIngested: {
    name: 'runtrail.audit.events.ingested',
    kind: 'counter',
    unit: '{event}',
    description: 'CloudTrail events audit stored, per way in',
    attributes: ['runtrail.source'],
  },
  findings: {
    name: 'runtrail.audit.findings',
    kind: 'counter',
    unit: '{finding}',
    description: 'Findings audit raised, per kind',
    attributes: ['runtrail.finding.kind'],
  },
} as const satisfies Record<string, MetricDefinition>;

/** The HTTP server histogram the HTTP instrumentation records (stable semantic conventions). */
export const HTTP_SERVER_DURATION: MetricDefinition = {
  name: 'http.server.request.duration',
  kind: 'histogram',
  unit: 's',
  description: 'Duration of HTTP server requests, per method, route and status',
  attributes: ['http.request.method', 'http.route', 'http.response.status_code'],
};

export type RuntrailMetricName = keyof typeof RUNTRAIL_METRICS;

const METER = 'runtrail';
let cache: { meter: Meter; instruments: Map<string, unknown> } | undefined;

function instrument<T>(key: RuntrailMetricName, make: (meter: Meter, def: MetricDefinition) => T): T {
  // The meter is read when first used (after startTelemetry registered the provider), and again
  // if the provider changed (tests start and stop one per file).
  const meter = metrics.getMeter(METER);
  if (!cache || cache.meter !== meter) cache = { meter, instruments: new Map() };
  let made = cache.instruments.get(key) as T | undefined;
  if (!made) {
    made = make(meter, RUNTRAIL_METRICS[key]);
    cache.instruments.set(key, made);
  }
  return made;
}

/** The counter `key` of {@link RUNTRAIL_METRICS}. */
export function runtrailCounter(key: RuntrailMetricName): Counter<Attributes> {
  return instrument(key, (meter, def) => meter.createCounter(def.name, { unit: def.unit, description: def.description }));
}

/** The histogram `key` of {@link RUNTRAIL_METRICS}, with its bucket boundaries. */
export function runtrailHistogram(key: RuntrailMetricName): Histogram<Attributes> {
  return instrument(key, (meter, def) =>
    meter.createHistogram(def.name, {
      unit: def.unit,
      description: def.description,
      ...(def.buckets ? { advice: { explicitBucketBoundaries: def.buckets } } : {}),
    }),
  );
}

/** The observable gauge `key` of {@link RUNTRAIL_METRICS}; add callbacks to it. */
export function runtrailGauge(key: RuntrailMetricName): ObservableGauge<Attributes> {
  return instrument(key, (meter, def) => meter.createObservableGauge(def.name, { unit: def.unit, description: def.description }));
}

/** Seconds since `startedAt` (a `performance.now()` reading), for histograms in `s`. */
export function secondsSince(startedAt: number): number {
  return (performance.now() - startedAt) / 1000;
}

type Reading = () => number | undefined | Promise<number | undefined>;
const readings = new Map<RuntrailMetricName, Map<Reading, Attributes>>();
const observed = new WeakSet<ObservableGauge<Attributes>>();

/**
 * Reports `read()` as the gauge `key` with `attributes` at each collection (a scrape of `/metrics`
 * or an OTLP export) until the returned function is called. `undefined` reports nothing; a read
 * that throws is skipped.
 */
export function observeGauge(key: RuntrailMetricName, attributes: Attributes, read: Reading): () => void {
  let forKey = readings.get(key);
  if (!forKey) readings.set(key, (forKey = new Map()));
  forKey.set(read, attributes);
  const gauge = runtrailGauge(key);
  if (!observed.has(gauge)) {
    observed.add(gauge);
    gauge.addCallback(async (result) => {
      const current = [...(readings.get(key) ?? new Map<Reading, Attributes>())];
      const values = await Promise.all(current.map(([reader]) => Promise.resolve().then(reader).catch(() => undefined)));
      current.forEach(([, attrs], i) => {
        const value = values[i];
        if (value !== undefined) result.observe(value, attrs);
      });
    });
  }
  return () => {
    readings.get(key)?.delete(read);
  };
}
