import { definePersistence, migrationList } from '@runtrail/persistence';
import * as pg1 from './keys/migrations/postgres/20261122120000-create-oidc-signing-key.migration';
import * as pg2 from './keys/migrations/postgres/20261210090000-signing-key-integrity-mac.migration';
import * as lite1 from './keys/migrations/sqlite/20261122120000-create-oidc-signing-key.migration';
import * as lite2 from './keys/migrations/sqlite/20261210090000-signing-key-integrity-mac.migration';
import { SigningKey } from './keys/signing-key.entity';

/** The oidc-issuer service's own database (a SQLite file or a PostgreSQL schema named after it). */
export const oidcIssuerPersistence = definePersistence({
  service: 'oidc-issuer',
  entities: [SigningKey],
  migrations: { sqlite: migrationList(lite1, lite2), postgres: migrationList(pg1, pg2) },
});
