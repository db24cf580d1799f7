import { Module, type DynamicModule } from '@nestjs/common';
import { PersistenceModule } from '@runtrail/persistence';
import type { OidcIssuerEnv } from './oidc-issuer.env';
import { oidcIssuerPersistence } from './oidc-issuer.persistence';

@Module({})
export class OidcIssuerModule {
  static forRoot(env: OidcIssuerEnv): DynamicModule {
    return {
      module: OidcIssuerModule,
      imports: [PersistenceModule.forService({ ...oidcIssuerPersistence, databaseUrl: env.DATABASE_URL })],
    };
  }
}
