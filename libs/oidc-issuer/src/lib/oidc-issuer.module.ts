import { Module, type DynamicModule } from '@nestjs/common';
import { PersistenceModule } from '@runtrail/persistence';
import { Clock, SystemClock } from './config/clock';
import { OidcIssuerConfig, oidcIssuerConfig } from './config/oidc-issuer.config';
import { DiscoveryController } from './discovery/discovery.controller';
import { KeyRotationService, ROTATION_TIMER } from './keys/key-rotation.service';
import { SigningKeyCipher } from './keys/signing-key.cipher';
import { SigningKeyRing } from './keys/signing-key.ring';
import { SigningKeyStore } from './keys/signing-key.store';
import type { OidcIssuerEnv } from './oidc-issuer.env';
import { oidcIssuerPersistence } from './oidc-issuer.persistence';
import { IssueTokenHandler } from './tokens/issue-token.handler';
import { IssueTokenBatchUseCase } from './tokens/issue-token-batch.usecase';
import { IssueTokenUseCase } from './tokens/issue-token.usecase';

/** Seams for tests and benchmarks; production passes none. */
export interface OidcIssuerModuleOptions {
  /** The time source of token timestamps and the key schedule (default: the system clock). */
  clock?: Clock;
  /** Check the key schedule on a timer (default true); false leaves it to `KeyRotationService.tick()`. */
  rotationTimer?: boolean;
}

/**
 * The OIDC issuer: discovery and JWKS under `/oidc/<account>/.well-known/...`, `oidc.v1.issue` (and
 * `oidc.v1.issue.batch`) over NATS, and the signing keys (encrypted at rest, rotated on a schedule) in its own database.
 */
@Module({})
export class OidcIssuerModule {
  /** @throws ConfigError when the environment's variables contradict each other. */
  static forRoot(env: OidcIssuerEnv, options: OidcIssuerModuleOptions = {}): DynamicModule {
    const config = oidcIssuerConfig(env);
    return {
      module: OidcIssuerModule,
      imports: [PersistenceModule.forService({ ...oidcIssuerPersistence, databaseUrl: env.DATABASE_URL })],
      controllers: [DiscoveryController, IssueTokenHandler],
      providers: [
        { provide: OidcIssuerConfig, useValue: config },
        { provide: Clock, useValue: options.clock ?? new SystemClock() },
        { provide: ROTATION_TIMER, useValue: options.rotationTimer ?? true },
        { provide: SigningKeyCipher, useFactory: () => new SigningKeyCipher(config.kek) },
        SigningKeyStore,
        SigningKeyRing,
        KeyRotationService,
        IssueTokenUseCase,
        IssueTokenBatchUseCase,
      ],
      exports: [KeyRotationService, SigningKeyRing],
    };
  }
}
