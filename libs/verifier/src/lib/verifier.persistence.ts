import { definePersistence } from '@runtrail/persistence';

/** The verifier service's own database (a SQLite file or a PostgreSQL schema named after it). */
export const verifierPersistence = definePersistence({
  service: 'verifier',
  entities: [],
  migrations: { sqlite: [], postgres: [] },
});
