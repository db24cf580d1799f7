import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { NATS_CONNECTION } from '@runtrail/messaging';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { AuditEnv } from '../audit.env';
import { IngestEvents } from '../ingest/ingest-events.usecase';
import { AccountPoller } from '../poller/account-poller';
import { AwsLookupEvents, type LookupEventsSource } from '../poller/lookup-events.client';
import { PollerLease } from '../poller/poller-lease';
import { AuditDb } from '../storage/audit-db';
import { AUDIT_ENV } from './audit.providers';

/** Where LookupEvents requests go; the module binds the AWS SDK adapter unless a test binds another. */
export const LOOKUP_EVENTS_SOURCE = Symbol('LOOKUP_EVENTS_SOURCE');

/**
 * Starts one poller per configured (account, region). Every replica starts them all; the lease
 * decides which replica actually polls, the others stand by to take over.
 */
@Injectable()
export class PollerService implements OnApplicationBootstrap, OnModuleDestroy {
  readonly pollers: AccountPoller[] = [];
  private readonly holder = `${hostname()}:${process.pid}:${randomUUID()}`;

  constructor(
    @Inject(AUDIT_ENV) private readonly env: AuditEnv,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(LOOKUP_EVENTS_SOURCE) private readonly source: LookupEventsSource,
    private readonly db: AuditDb,
    private readonly ingest: IngestEvents,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const target of this.env.AUDIT_POLL_TARGETS) {
      const lease = await PollerLease.open(this.nc, `${target.accountId}.${target.region}`, this.holder, this.env.AUDIT_LEASE_TTL_MS,
        this.env.NATS_STREAM_REPLICAS);
      const poller = new AccountPoller(
        {
          ...target,
          intervalMs: this.env.AUDIT_POLL_INTERVAL_MS,
          overlapMs: this.env.AUDIT_POLL_OVERLAP_SECONDS * 1000,
          maxRps: this.env.AUDIT_POLL_MAX_RPS,
          leaseTtlMs: this.env.AUDIT_LEASE_TTL_MS,
        },
        lease, this.source, this.db, this.ingest,
      );
      this.pollers.push(poller);
      poller.start();
    }
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.pollers.map((p) => p.stop()));
    if (this.source instanceof AwsLookupEvents) this.source.close();
  }
}
