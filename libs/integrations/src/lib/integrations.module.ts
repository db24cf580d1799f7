import { Module, type DynamicModule } from '@nestjs/common';
import { ApiRateLimits, RateLimiter } from '@runtrail/bootstrap';
import { PersistenceModule } from '@runtrail/persistence';
import { AccountController, AccountsController } from './accounts/accounts.controller';
import { CreateAccountUseCase } from './accounts/create-account.usecase';
import { AttachmentWrites } from './attachments/attachment-writes.usecase';
import { AttachmentsController } from './attachments/attachments.controller';
import { ApiKeyGuard } from './auth/api-key.guard';
import { KeyAuthenticator } from './auth/key-authenticator';
import { IntegrationWrites } from './aws-integrations/integration.writes';
import { IntegrationsController } from './aws-integrations/integrations.controller';
import { CallersController } from './callers/callers.controller';
import { AuthenticateApiKeyHandler } from './handlers/authenticate-api-key.handler';
import { ResolveIntegrationsHandler } from './handlers/resolve-integrations.handler';
import { IntegrationsConfig } from './integrations.config';
import type { IntegrationsEnv } from './integrations.env';
import { integrationsPersistence } from './integrations.persistence';
import { OpenApiController } from './openapi/openapi.controller';
import { OUTBOX_INTERVAL, OutboxRelay } from './outbox/outbox.relay';
import { RunExpiryScheduler } from './runs/run-expiry.scheduler';
import { RunWrites } from './runs/run-writes.usecase';
import { RunsController } from './runs/runs.controller';
import { UnitOfWork } from './unit-of-work';
import { ReverifyScheduler } from './verification/reverify.scheduler';
import { VerificationClient } from './verification/verification.client';

/**
 * The integrations service: REST API under `/v1` (accounts, spaces, API keys, callers, AWS
 * integrations, attachments, OpenAPI), `integrations.v1.resolve` and `integrations.v1.authenticate`
 * over NATS, events through a transactional outbox, periodic re-verification.
 */
@Module({})
export class IntegrationsModule {
  static forRoot(env: IntegrationsEnv): DynamicModule {
    const config = IntegrationsConfig.from(env);
    return {
      module: IntegrationsModule,
      imports: [PersistenceModule.forService({ ...integrationsPersistence, databaseUrl: env.DATABASE_URL })],
      controllers: [
        AccountsController,
        AccountController,
        CallersController,
        IntegrationsController,
        AttachmentsController,
        OpenApiController,
        RunsController,
        ResolveIntegrationsHandler,
        AuthenticateApiKeyHandler,
      ],
      providers: [
        { provide: IntegrationsConfig, useValue: config },
        { provide: OUTBOX_INTERVAL, useValue: config.outboxIntervalMs },
        { provide: RateLimiter, useFactory: () => new RateLimiter() },
        {
          provide: ApiRateLimits,
          useValue: new ApiRateLimits(env.API_RATE_LIMIT_PER_KEY, env.API_RATE_LIMIT_PER_ACCOUNT),
        },
        KeyAuthenticator,
        ApiKeyGuard,
        UnitOfWork,
        OutboxRelay,
        VerificationClient,
        ReverifyScheduler,
        CreateAccountUseCase,
        IntegrationWrites,
        AttachmentWrites,
        RunWrites,
        RunExpiryScheduler,
      ],
      exports: [OutboxRelay, ReverifyScheduler, RunExpiryScheduler],
    };
  }
}
