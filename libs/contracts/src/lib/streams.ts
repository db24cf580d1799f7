import type { AnyStreamName, StreamName } from './define';

export interface StreamSpec {
  name: AnyStreamName;
  /** Explicit subjects: request-reply subjects such as `integrations.v1.resolve` must stay outside streams. */
  subjects: string[];
  /** How long a message is kept, in seconds (0 = until limits). */
  maxAgeSeconds: number;
  /** Window in which a repeated `Nats-Msg-Id` is dropped as a duplicate, in seconds. */
  duplicateWindowSeconds: number;
  /**
   * Any replica answers `$JS.API.DIRECT.GET.<stream>.<subject>` (the last message on a subject),
   * also while the stream elects a leader. Default false.
   */
  allowDirect?: boolean;
}

const DAY = 86_400;

/** Every JetStream stream of runtrail v1. Created by `runtrail nats setup`; services only check they exist. */
export const STREAMS: Record<StreamName, StreamSpec> = {
  RUNS: { name: 'RUNS', subjects: ['runs.v1.>'], maxAgeSeconds: 7 * DAY, duplicateWindowSeconds: 600 },
  INTEGRATIONS: {
    name: 'INTEGRATIONS',
    subjects: [
      'integrations.v1.created',
      'integrations.v1.updated',
      'integrations.v1.deleted',
      'integrations.v1.attached',
      'integrations.v1.attachment_updated',
      'integrations.v1.detached',
      'integrations.v1.health',
      // Admin changes (integrations.v1.admin.<target>.<verb>), consumed by audit's admin log.
      'integrations.v1.admin.>',
    ],
    maxAgeSeconds: 30 * DAY,
    duplicateWindowSeconds: 600,
  },
  CREDENTIALS: {
    name: 'CREDENTIALS',
    subjects: ['credentials.v1.issued', 'credentials.v1.failed'],
    maxAgeSeconds: 30 * DAY,
    duplicateWindowSeconds: 600,
  },
  // Sealed credentials: kept only as long as a session can live at most and a worker needs to pick them up.
  // Direct gets: `runtrail exec` reads its own run's last delivery by subject (see runDeliverySubjects).
  DELIVERIES: {
    name: 'DELIVERIES',
    subjects: ['deliveries.v1.>'],
    maxAgeSeconds: 3600,
    duplicateWindowSeconds: 600,
    allowDirect: true,
  },
  AUDIT: {
    name: 'AUDIT',
    subjects: ['audit.v1.finding', 'audit.v1.cloudtrail'],
    maxAgeSeconds: 30 * DAY,
    duplicateWindowSeconds: 600,
  },
  DLQ: { name: 'DLQ', subjects: ['dlq.v1.>'], maxAgeSeconds: 30 * DAY, duplicateWindowSeconds: 120 },
};

/** A NATS KV bucket of runtrail (a stream `KV_<bucket>` underneath). */
export interface KvBucketSpec {
  bucket: string;
  /** Keys older than this disappear (audit's poller lease: its TTL, `AUDIT_LEASE_TTL_MS`). */
  defaultTtlMs: number;
}

/** Every KV bucket of runtrail v1. Created by `runtrail nats setup`; services only open them. */
export const KV_BUCKETS = {
  AUDIT_POLLER_LEASES: { bucket: 'audit_poller_leases', defaultTtlMs: 30_000 },
} satisfies Record<string, KvBucketSpec>;
