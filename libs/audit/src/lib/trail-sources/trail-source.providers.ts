import type { Provider } from '@nestjs/common';
import type { RetryPolicy, StsCredentials } from '@runtrail/aws-sts';
import type { AuditEnv } from '../audit.env';
import { PollerService } from '../service/poller.service';
import { AuditDb } from '../storage/audit-db';
import { ReaderSessions, TrailAws } from './reader-sessions';
import { TrailSources } from './trail-sources.usecase';

/** What a test (or another host) may set for trail sources. */
export interface TrailSourceOptions {
  /** runtrail's own AWS identity; unset: the SDK's default credential chain. */
  platformCredentials?: StsCredentials;
  /** How long verification retries an AccessDenied (IAM propagation). */
  trailVerifyRetry?: RetryPolicy;
}

/** The AWS access, reader sessions and use cases of trail sources. */
export function trailSourceProviders(env: AuditEnv, options: TrailSourceOptions): Provider[] {
  return [
    { provide: TrailAws, useFactory: () => new TrailAws(env.AWS_ENDPOINT_URL, options.platformCredentials) },
    { provide: ReaderSessions, inject: [TrailAws], useFactory: (aws: TrailAws) => new ReaderSessions(aws) },
    {
      provide: TrailSources,
      inject: [AuditDb, TrailAws, PollerService],
      useFactory: (db: AuditDb, aws: TrailAws, poller: PollerService) =>
        new TrailSources({
          db, aws, platformAccountId: env.PLATFORM_AWS_ACCOUNT_ID, retry: options.trailVerifyRetry,
          changed: () => void poller.syncSources().catch(() => undefined),
        }),
    },
  ];
}
