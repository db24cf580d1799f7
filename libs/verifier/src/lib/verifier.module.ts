import { Module, type DynamicModule } from '@nestjs/common';
import { PersistenceModule } from '@runtrail/persistence';
import type { VerifierEnv } from './verifier.env';
import { verifierPersistence } from './verifier.persistence';

@Module({})
export class VerifierModule {
  static forRoot(env: VerifierEnv): DynamicModule {
    return {
      module: VerifierModule,
      imports: [PersistenceModule.forService({ ...verifierPersistence, databaseUrl: env.DATABASE_URL })],
    };
  }
}
