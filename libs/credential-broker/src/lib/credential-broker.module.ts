import { Module, type DynamicModule } from '@nestjs/common';
import { PersistenceModule } from '@runtrail/persistence';
import type { CredentialBrokerEnv } from './credential-broker.env';
import { credentialBrokerPersistence } from './credential-broker.persistence';

@Module({})
export class CredentialBrokerModule {
  static forRoot(env: CredentialBrokerEnv): DynamicModule {
    return {
      module: CredentialBrokerModule,
      imports: [PersistenceModule.forService({ ...credentialBrokerPersistence, databaseUrl: env.DATABASE_URL })],
    };
  }
}
