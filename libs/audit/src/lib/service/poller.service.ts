import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { NATS_CONNECTION } from '@runtrail/messaging';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { AuditEnv } from '../audit.env';
import { IngestEvents } from '../ingest/ingest-events.usecase';
import { AccountPoller, type AccountPollerSettings, type PollProgress } from '../poller/account-poller';
import type { LeasedReader } from '../poller/leased-reader';
import { AwsLookupEvents, type LookupEventsSource } from '../poller/lookup-events.client';
import { PollerLease } from '../poller/poller-lease';
import { S3TrailReader } from '../poller/s3-trail-reader';
import { AuditDb } from '../storage/audit-db';
import { ReaderSessions } from '../trail-sources/reader-sessions';
import {
  listTrailSources,
  loadTrailCheckpoint,
  recordTrailError,
  recordTrailPoll,
  trailS3Progress,
  type TrailSource,
} from '../trail-sources/trail-source.store';
import { AUDIT_ENV } from './audit.providers';

/** Where LookupEvents requests go; the module binds the AWS SDK adapter unless a test binds another. */
export const LOOKUP_EVENTS_SOURCE = Symbol('LOOKUP_EVENTS_SOURCE');

/** How often every replica re-reads the trail sources (a write on this replica syncs at once). */
const SOURCE_SYNC_MS = 15_000;

/**
 * Starts one reader per (trail source, region), signing with the source's reader role: an
 * {@link S3TrailReader} when the source has a bucket, else a LookupEvents {@link AccountPoller}
 * (never both: they share the lease `trail.<sourceId>.<region>`, and S3 replaces LookupEvents,
 * see the README), and one poller per deprecated `AUDIT_POLL_TARGETS` entry (runtrail's own
 * identity). Every replica starts them all; the lease decides which replica actually reads, the
 * others stand by to take over.
 */
@Injectable()
export class PollerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('PollerService');
  readonly pollers: AccountPoller[] = [];
  /** `<sourceId>:<region>:<lookup|s3>` -> its reader. */
  readonly trailPollers = new Map<string, LeasedReader>();
  /** The sources as last read: a running poller signs with its source's current role. */
  private readonly sources = new Map<string, TrailSource>();
  private readonly holder = `${hostname()}:${process.pid}:${randomUUID()}`;
  private syncTimer: NodeJS.Timeout | null = null;
  private syncing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    @Inject(AUDIT_ENV) private readonly env: AuditEnv,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(LOOKUP_EVENTS_SOURCE) private readonly source: LookupEventsSource,
    private readonly db: AuditDb,
    private readonly ingest: IngestEvents,
    private readonly readers: ReaderSessions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const target of this.env.AUDIT_POLL_TARGETS) {
      const poller = await this.poller(`${target.accountId}.${target.region}`, target, this.source);
      this.pollers.push(poller);
      poller.start();
    }
    await this.syncSources();
    this.syncTimer = setInterval(() => void this.syncSources().catch((e: unknown) => this.log.warn(`trail source sync failed: ${String(e)}`)),
      SOURCE_SYNC_MS);
  }

  /** Starts pollers for new (source, region) pairs and stops those of removed ones. */
  syncSources(): Promise<void> {
    this.syncing = this.syncing.catch(() => undefined).then(() => this.sync());
    return this.syncing;
  }

  private async sync(): Promise<void> {
    if (this.stopped) return;
    const sources = await listTrailSources(this.db, null);
    this.sources.clear();
    for (const s of sources) this.sources.set(s.id, s);
    const wanted = new Map<string, { source: TrailSource; region: string; kind: 'lookup' | 's3' }>();
    for (const s of sources) for (const region of s.regions) {
      const kind = s.bucket ? 's3' : 'lookup';
      wanted.set(`${s.id}:${region}:${kind}`, { source: s, region, kind });
    }
    for (const [key, poller] of this.trailPollers) {
      if (wanted.has(key)) continue;
      this.trailPollers.delete(key);
      await poller.stop(); // gives the lease back, so the source's other kind of reader may take it
      const id = key.split(':')[0] ?? '';
      if (!sources.some((s) => s.id === id)) this.readers.drop(id);
    }
    for (const [key, { source: s, region, kind }] of wanted) {
      if (this.trailPollers.has(key)) continue;
      const current = () => this.sources.get(s.id) ?? s;
      const label = `trail:${s.id}:${region}`;
      const reader = kind === 's3'
        ? await this.s3Reader(s, region, label, current)
        : await this.poller(`trail.${s.id}.${region}`, { accountId: s.awsAccountId, region, label, owner: s.account },
          this.readers.sourceFor(current), sourceProgress(this.db, s.id, region));
      this.trailPollers.set(key, reader);
      reader.start();
    }
  }

  private async s3Reader(s: TrailSource, region: string, label: string, current: () => TrailSource): Promise<S3TrailReader> {
    const lease = await PollerLease.open(this.nc, `trail.${s.id}.${region}`, this.holder, this.env.AUDIT_LEASE_TTL_MS, this.env.NATS_STREAM_REPLICAS);
    return new S3TrailReader(
      {
        accountId: s.awsAccountId, region, label, owner: s.account,
        intervalMs: this.env.AUDIT_POLL_INTERVAL_MS,
        overlapMs: this.env.AUDIT_POLL_OVERLAP_SECONDS * 1000,
        leaseTtlMs: this.env.AUDIT_LEASE_TTL_MS,
      },
      lease, this.readers.bucketFor(current),
      () => { const c = current(); return { bucket: c.bucket ?? '', prefix: c.prefix }; },
      this.db, this.ingest, trailS3Progress(this.db, s.id, region),
    );
  }

  private async poller(
    leaseKey: string,
    target: Pick<AccountPollerSettings, 'accountId' | 'region' | 'label' | 'owner'>,
    source: LookupEventsSource,
    progress?: PollProgress,
  ): Promise<AccountPoller> {
    const lease = await PollerLease.open(this.nc, leaseKey, this.holder, this.env.AUDIT_LEASE_TTL_MS, this.env.NATS_STREAM_REPLICAS);
    return new AccountPoller(
      {
        ...target,
        intervalMs: this.env.AUDIT_POLL_INTERVAL_MS,
        overlapMs: this.env.AUDIT_POLL_OVERLAP_SECONDS * 1000,
        maxRps: this.env.AUDIT_POLL_MAX_RPS,
        leaseTtlMs: this.env.AUDIT_LEASE_TTL_MS,
      },
      lease, source, this.db, this.ingest, progress,
    );
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.syncTimer) clearInterval(this.syncTimer);
    await this.syncing.catch(() => undefined);
    await Promise.all([...this.pollers, ...this.trailPollers.values()].map((p) => p.stop()));
    this.readers.close();
    if (this.source instanceof AwsLookupEvents) this.source.close();
  }
}

function sourceProgress(db: AuditDb, sourceId: string, region: string): PollProgress {
  return {
    load: () => loadTrailCheckpoint(db, sourceId, region),
    complete: (endMs, inserted) => recordTrailPoll(db, sourceId, region, endMs, inserted),
    failed: (message, inserted) => recordTrailError(db, sourceId, region, message, inserted),
  };
}
