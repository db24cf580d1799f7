import {
  AckPolicy,
  DeliverPolicy,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { KV_BUCKETS, STREAMS, workerConsumer, type StreamSpec } from '@runtrail/contracts';

function configOf(spec: StreamSpec, replicas: number): Partial<StreamConfig> & { name: string } {
  return {
    name: spec.name,
    subjects: spec.subjects,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(spec.maxAgeSeconds * 1000),
    duplicate_window: nanos(spec.duplicateWindowSeconds * 1000),
    num_replicas: replicas,
    allow_direct: spec.allowDirect ?? false,
  };
}

/** What {@link ensureStreams} did to one stream, for the setup step's report. */
export interface StreamOutcome {
  name: string;
  action: 'created' | 'updated';
  replicas: number;
}

/**
 * Creates or updates runtrail's streams: the operator's setup step (`runtrail nats setup`), never a
 * service. `replicas` is 1 on a single server and 3 on a production cluster; an existing stream
 * keeps a higher replica count than asked (lowering it would drop copies an operator chose).
 */
export async function ensureStreams(
  nc: NatsConnection,
  specs: StreamSpec[] = Object.values(STREAMS),
  replicas = 1,
): Promise<StreamOutcome[]> {
  const jsm = await jetstreamManager(nc);
  const outcomes: StreamOutcome[] = [];
  for (const spec of specs) {
    const existing = await jsm.streams.info(spec.name).catch((error: unknown) => {
      if (isNotFound(error)) return null;
      throw error;
    });
    if (existing) {
      const kept = Math.max(existing.config.num_replicas, replicas);
      await jsm.streams.update(spec.name, configOf(spec, kept));
      outcomes.push({ name: spec.name, action: 'updated', replicas: kept });
      continue;
    }
    try {
      await jsm.streams.add(configOf(spec, replicas));
    } catch (addError) {
      // Another setup run created it between our info and add.
      if (!/already in use|already exists/i.test(String(addError))) throw addError;
    }
    outcomes.push({ name: spec.name, action: 'created', replicas });
  }
  return outcomes;
}

/** Options of {@link setupJetStream}. */
export interface JetStreamSetupOptions {
  /** Stream (and KV bucket) replicas: 1 on one server, 3 on a production cluster. */
  replicas: number;
  /** TTL of audit's poller leases (`AUDIT_LEASE_TTL_MS`); only used when the bucket is created. */
  auditLeaseTtlMs?: number;
  /** Worker ids whose delivery consumer (`worker_<id>` on DELIVERIES) must exist. */
  workers?: string[];
}

/** Everything {@link setupJetStream} made or checked, one line each. */
export type SetupReport = string[];

/**
 * The operator's setup step behind `runtrail nats setup`: every stream, every KV bucket and every
 * worker's delivery consumer. Services only check that streams exist and create their own durable
 * consumers; no service user may create, update or delete a stream (deploy/nats/auth.conf).
 */
export async function setupJetStream(nc: NatsConnection, options: JetStreamSetupOptions): Promise<SetupReport> {
  const report: SetupReport = [];
  for (const s of await ensureStreams(nc, Object.values(STREAMS), options.replicas))
    report.push(`stream ${s.name}: ${s.action} (${s.replicas} replica${s.replicas === 1 ? '' : 's'})`);
  const jsm = await jetstreamManager(nc);
  report.push(await ensureLeaseBucket(nc, jsm, options));
  for (const workerId of options.workers ?? []) report.push(await ensureWorkerConsumer(nc, workerId));
  return report;
}

async function ensureLeaseBucket(
  nc: NatsConnection,
  jsm: JetStreamManager,
  options: JetStreamSetupOptions,
): Promise<string> {
  const { bucket, defaultTtlMs } = KV_BUCKETS.AUDIT_POLLER_LEASES;
  const stream = `KV_${bucket}`;
  const existing = await jsm.streams.info(stream).catch((error: unknown) => {
    if (isNotFound(error)) return null;
    throw error;
  });
  if (!existing) {
    await new Kvm(nc).create(bucket, {
      ttl: options.auditLeaseTtlMs ?? defaultTtlMs,
      history: 1,
      replicas: options.replicas,
    });
    return `kv bucket ${bucket}: created (${options.replicas} replica(s))`;
  }
  if (existing.config.num_replicas < options.replicas) {
    await jsm.streams.update(stream, { ...existing.config, num_replicas: options.replicas });
    return `kv bucket ${bucket}: replicas raised to ${options.replicas}`;
  }
  return `kv bucket ${bucket}: exists`;
}

/**
 * How long a delivery an `exec` took may stay unacknowledged before the worker's consumer offers it
 * again. `exec` acknowledges (or hands back) a message as soon as it took it, so this only counts
 * when an ack or hand-back is lost: sent to a consumer leader that died, or delivered to a pull
 * whose node died. At 30 s such a run waited 30 s for credentials the broker had delivered.
 */
export const WORKER_ACK_WAIT_MS = 10_000;

/**
 * The worker's durable pull consumer, filtered to its own deliveries (see {@link workerConsumer});
 * an existing one gets {@link WORKER_ACK_WAIT_MS} if it has another ack wait.
 * @returns what it did, for a report line
 */
export async function ensureWorkerConsumer(nc: NatsConnection, workerId: string): Promise<string> {
  const jsm = await jetstreamManager(nc);
  const { durable, filter } = workerConsumer(workerId);
  const config = {
    durable_name: durable,
    filter_subject: filter,
    ack_policy: AckPolicy.Explicit,
    // A delivery published before the worker started must not be missed.
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(WORKER_ACK_WAIT_MS),
    max_ack_pending: 1000,
  };
  try {
    await jsm.consumers.add(STREAMS.DELIVERIES.name, config);
    return `consumer DELIVERIES/${durable} (${filter}): ready`;
  } catch (error) {
    if (!/already (exists|in use)/i.test(String(error))) throw error;
    const existing = await jsm.consumers.info(STREAMS.DELIVERIES.name, durable);
    if (existing.config.ack_wait === config.ack_wait) return `consumer DELIVERIES/${durable}: exists`;
    await jsm.consumers.update(STREAMS.DELIVERIES.name, durable, { ack_wait: config.ack_wait });
    return `consumer DELIVERIES/${durable}: exists, ack wait set to ${WORKER_ACK_WAIT_MS / 1000} s`;
  }
}

function isNotFound(error: unknown): boolean {
  return /not found/i.test(error instanceof Error ? error.message : String(error));
}
