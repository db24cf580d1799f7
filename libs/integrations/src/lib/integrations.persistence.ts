import { definePersistence } from '@runtrail/persistence';

/** The integrations service's own database (a SQLite file or a PostgreSQL schema named after it). */
export const integrationsPersistence = definePersistence({
  service: 'integrations',
  entities: [],
  migrations: { sqlite: [], postgres: [] },
});
