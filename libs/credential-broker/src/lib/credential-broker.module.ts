import { RateLimiter } from '@runtrail/bootstrap';
import { Module, type DynamicModule } from '@nestjs/common';
import { Sts, type RetryPolicy } from '@runtrail/aws-sts';
import { PersistenceModule } from '@runtrail/persistence';
import { BrokerSettings } from './broker.settings';
import { Clock, SystemClock } from './clock';
import type { CredentialBrokerEnv } from './credential-broker.env';
import { credentialBrokerPersistence } from './credential-broker.persistence';
import { CredentialSource } from './issue/credential-source';
import { FailureReporter } from './issue/failure.reporter';
import { IssueCredentialsHandler } from './issue/issue-credentials.handler';
import { IssueCredentialsUseCase } from './issue/issue-credentials.usecase';
import { RUN_EVENT_CONSUMER } from './issue/run-event.consumer';
import { IssuanceLedger } from './ledger/issuance.ledger';
import { RunStateStore } from './ledger/run-state.store';
import { RefreshCredentialsHandler } from './refresh/refresh-credentials.handler';
import { RefreshCredentialsUseCase } from './refresh/refresh-credentials.usecase';
import { StsAdapter } from './sts/sts.adapter';

/** Retries of throttling, 5xx and network failures within one delivery of a run event (full jitter: replicas spread out). */
const STS_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 50, maxDelayMs: 1000, fullJitter: true };

/** Seams for tests and benchmarks; production passes none. */
export interface CredentialBrokerModuleOptions {
  sts?: StsAdapter;
  clock?: Clock;
}

/**
 * The credential broker: run phase events in (durable JetStream consumer), sealed short-lived
 * credentials out on `deliveries.v1.<worker>.<run>`, `credentials.v1.issued|failed`, and
 * `credentials.v1.refresh` for long runs. Its database holds the issuance ledger and run phases.
 */
@Module({})
export class CredentialBrokerModule {
  static forRoot(env: CredentialBrokerEnv, options: CredentialBrokerModuleOptions = {}): DynamicModule {
    return {
      module: CredentialBrokerModule,
      imports: [
        PersistenceModule.forService({ ...credentialBrokerPersistence, databaseUrl: env.DATABASE_URL }),
      ],
      controllers: [IssueCredentialsHandler, RefreshCredentialsHandler],
      providers: [
        {
          provide: StsAdapter,
          useValue: options.sts ?? new Sts({ endpointOverride: env.AWS_ENDPOINT_URL }),
        },
        { provide: Clock, useValue: options.clock ?? new SystemClock() },
        {
          provide: BrokerSettings,
          useValue: new BrokerSettings(
            RUN_EVENT_CONSUMER.ackWaitMs,
            RUN_EVENT_CONSUMER.maxDeliver,
            { ...STS_RETRY, attempts: env.BROKER_STS_ATTEMPTS },
            env.BROKER_REFRESH_LIMIT_PER_RUN,
          ),
        },
        { provide: RateLimiter, useFactory: () => new RateLimiter() },
        IssuanceLedger,
        RunStateStore,
        CredentialSource,
        FailureReporter,
        IssueCredentialsUseCase,
        RefreshCredentialsUseCase,
      ],
    };
  }
}
