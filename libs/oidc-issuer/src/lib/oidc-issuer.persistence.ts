import { definePersistence } from '@runtrail/persistence';

/** The oidc-issuer service's own database (a SQLite file or a PostgreSQL schema named after it). */
export const oidcIssuerPersistence = definePersistence({
  service: 'oidc-issuer',
  entities: [],
  migrations: { sqlite: [], postgres: [] },
});
