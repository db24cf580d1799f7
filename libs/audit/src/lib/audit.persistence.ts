import { definePersistence } from '@runtrail/persistence';

/** The audit service's own database (a SQLite file or a PostgreSQL schema named after it). */
export const auditPersistence = definePersistence({
  service: 'audit',
  entities: [],
  migrations: { sqlite: [], postgres: [] },
});
