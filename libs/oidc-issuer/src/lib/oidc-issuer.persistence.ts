import { definePersistence, migrationList } from '@runtrail/persistence';
import * as pg1 from './keys/migrations/postgres/20261122120000-create-oidc-signing-key.migration';
import * as lite1 from './keys/migrations/sqlite/20261122120000-create-oidc-signing-key.migration';
import { SigningKey } from './keys/signing-key.entity';

/** The oidc-issuer service's own database (a SQLite file or a PostgreSQL schema named after it). */
export const oidcIssuerPersistence = definePersistence({
  service: 'oidc-issuer',
  entities: [SigningKey],
  migrations: { sqlite: migrationList(lite1), postgres: migrationList(pg1) },
});
