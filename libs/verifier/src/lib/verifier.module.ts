import { Module, type DynamicModule } from '@nestjs/common';
import { PersistenceModule } from '@runtrail/persistence';
import { VerifyRoleUseCase } from './checks/verify-role.usecase';
import { AwsStsGateway } from './sts/aws-sts.gateway';
import { StsGateway } from './sts/sts.gateway';
import { VerifierConfig } from './verifier.config';
import type { VerifierEnv } from './verifier.env';
import { verifierPersistence } from './verifier.persistence';
import { VerifyRoleHandler } from './verify-role.handler';

/** Seams for tests; production passes none. */
export interface VerifierModuleOptions {
  /** STS as runtrail's platform identity (default: the AWS SDK with the default credential chain). */
  sts?: StsGateway;
}

/**
 * The verifier: answers `verifier.v1.verify` by trying the role with runtrail's own identity
 * against STS. Verdicts are recorded by integrations (which owns the integrations); the verifier's
 * own database is declared (and checked by readiness) but has no tables yet.
 */
@Module({})
export class VerifierModule {
  static forRoot(env: VerifierEnv, options: VerifierModuleOptions = {}): DynamicModule {
    return {
      module: VerifierModule,
      imports: [PersistenceModule.forService({ ...verifierPersistence, databaseUrl: env.DATABASE_URL })],
      controllers: [VerifyRoleHandler],
      providers: [
        { provide: VerifierConfig, useValue: VerifierConfig.from(env) },
        {
          provide: StsGateway,
          useFactory: () => options.sts ?? new AwsStsGateway(env.AWS_ENDPOINT_URL, env.AWS_REGION),
        },
        VerifyRoleUseCase,
      ],
    };
  }
}
