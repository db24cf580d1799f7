import { ApiRateLimits, RateLimiter } from '@runtrail/bootstrap';
import { Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { PersistenceModule } from '@runtrail/persistence';
import { AdminEventsController } from './admin-log/admin-events.controller';
import { ActivityController } from './api/activity.controller';
import { ApiKeyGuard } from './api/api-key.guard';
import { FindingsController } from './api/findings.controller';
import { OpenApiController } from './api/openapi.controller';
import { DashboardController } from './dashboard/dashboard.controller';
import { RunsController } from './api/runs.controller';
import { TimelineController } from './api/timeline.controller';
import { WhoChangedController } from './api/who-changed.controller';
import type { AuditEnv } from './audit.env';
import { auditPersistence } from './audit.persistence';
import { AuditDb } from './storage/audit-db';
import { AwsLookupEvents, type LookupEventsSource } from './poller/lookup-events.client';
import { AuditEventsHandler } from './service/audit-events.handler';
import { auditProviders } from './service/audit.providers';
import { FindingsSweeper } from './service/findings-sweeper.service';
import { PartitionMaintainer } from './storage/partition-maintenance';
import { LOOKUP_EVENTS_SOURCE, PollerService } from './service/poller.service';
import { trailSourceProviders, type TrailSourceOptions } from './trail-sources/trail-source.providers';
import { TrailSourcesController } from './trail-sources/trail-sources.controller';

/** Closes the store's own SQLite connection (the ORM closes its own pool). */
@Injectable()
class AuditDbCloser implements OnApplicationShutdown {
  constructor(private readonly db: AuditDb) {}

  onApplicationShutdown(): Promise<void> {
    return this.db.close();
  }
}

/** What a test (or another host) may swap. */
export interface AuditModuleOptions extends TrailSourceOptions {
  lookupEvents?: LookupEventsSource;
}

/**
 * The audit service: ingestion (LookupEvents pollers, NATS push; file import is the CLI's), run
 * knowledge from `runs.v1.>` and `credentials.v1.>`, correlation, findings on `audit.v1.finding`,
 * the admin log from `integrations.v1.admin.>`, trail sources (reader roles in customers' AWS
 * accounts, polled with LookupEvents), and the query API under `/v1/audit`.
 */
@Module({})
export class AuditModule {
  static forRoot(env: AuditEnv, options: AuditModuleOptions = {}): DynamicModule {
    return {
      module: AuditModule,
      imports: [PersistenceModule.forService({ ...auditPersistence, databaseUrl: env.DATABASE_URL })],
      controllers: [
        AuditEventsHandler,
        RunsController,
        TimelineController,
        WhoChangedController,
        ActivityController,
        FindingsController,
        AdminEventsController,
        TrailSourcesController,
        OpenApiController,
        DashboardController,
      ],
      providers: [
        ...auditProviders(env),
        ...trailSourceProviders(env, options),
        ApiKeyGuard,
        { provide: RateLimiter, useFactory: () => new RateLimiter() },
        {
          provide: ApiRateLimits,
          useValue: new ApiRateLimits(env.API_RATE_LIMIT_PER_KEY, env.API_RATE_LIMIT_PER_ACCOUNT),
        },
        AuditDbCloser,
        FindingsSweeper,
        PartitionMaintainer,
        PollerService,
        {
          provide: LOOKUP_EVENTS_SOURCE,
          useFactory: () => options.lookupEvents ?? new AwsLookupEvents(env.AWS_ENDPOINT_URL),
        },
      ],
      exports: [PollerService],
    };
  }
}
