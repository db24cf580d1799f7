import { Module, type DynamicModule } from '@nestjs/common';
import { PersistenceModule } from '@runtrail/persistence';
import type { IntegrationsEnv } from './integrations.env';
import { integrationsPersistence } from './integrations.persistence';

@Module({})
export class IntegrationsModule {
  static forRoot(env: IntegrationsEnv): DynamicModule {
    return {
      module: IntegrationsModule,
      imports: [PersistenceModule.forService({ ...integrationsPersistence, databaseUrl: env.DATABASE_URL })],
    };
  }
}
