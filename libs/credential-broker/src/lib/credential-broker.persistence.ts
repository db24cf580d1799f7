import { definePersistence, migrationList } from '@runtrail/persistence';
import { Issuance } from './ledger/issuance.entity';
import * as pg1 from './ledger/migrations/postgres/20261122130000-create-broker-ledger.migration';
import * as pg2 from './ledger/migrations/postgres/20261205090000-run-deadline.migration';
import * as lite1 from './ledger/migrations/sqlite/20261122130000-create-broker-ledger.migration';
import * as lite2 from './ledger/migrations/sqlite/20261205090000-run-deadline.migration';
import { RunState } from './ledger/run-state.entity';

/** The credential-broker service's own database (a SQLite file or a PostgreSQL schema named after it). */
export const credentialBrokerPersistence = definePersistence({
  service: 'credential-broker',
  entities: [Issuance, RunState],
  migrations: { sqlite: migrationList(lite1, lite2), postgres: migrationList(pg1, pg2) },
});
