import { definePersistence } from '@runtrail/persistence';

/** The credential-broker service's own database (a SQLite file or a PostgreSQL schema named after it). */
export const credentialBrokerPersistence = definePersistence({
  service: 'credential-broker',
  entities: [],
  migrations: { sqlite: [], postgres: [] },
});
