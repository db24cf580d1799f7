import { definePersistence, migrationList } from '@runtrail/persistence';
import * as pg1 from './storage/migrations/postgres/20261122060000-create-audit-store.migration';
import * as lite1 from './storage/migrations/sqlite/20261122060000-create-audit-store.migration';
import * as pg2 from './storage/migrations/postgres/20261203090000-optional-issuance-source-identity.migration';
import * as lite2 from './storage/migrations/sqlite/20261203090000-optional-issuance-source-identity.migration';
import * as pg3 from './storage/migrations/postgres/20261204090000-admin-event.migration';
import * as lite3 from './storage/migrations/sqlite/20261204090000-admin-event.migration';
import * as pg4 from './storage/migrations/postgres/20261205090000-trail-source.migration';
import * as lite4 from './storage/migrations/sqlite/20261205090000-trail-source.migration';
import * as pg5 from './storage/migrations/postgres/20261206090000-trail-source-s3-checkpoint.migration';
import * as lite5 from './storage/migrations/sqlite/20261206090000-trail-source-s3-checkpoint.migration';
import * as pg6 from './storage/migrations/postgres/20261207090000-partition-events-by-month.migration';
import * as lite6 from './storage/migrations/sqlite/20261207090000-partition-events-by-month.migration';
import * as pg7 from './storage/migrations/postgres/20261208090000-run-event-span.migration';
import * as lite7 from './storage/migrations/sqlite/20261208090000-run-event-span.migration';

/**
 * The audit service's own database (a SQLite file or a PostgreSQL schema named after it). No ORM
 * entities: every table is read and written with batched SQL shared by both drivers, because the
 * import path must keep up with tens of thousands of events per second (see README.md).
 */
export const auditPersistence = definePersistence({
  service: 'audit',
  entities: [],
  migrations: { sqlite: migrationList(lite1, lite2, lite3, lite4, lite5, lite6, lite7), postgres: migrationList(pg1, pg2, pg3, pg4, pg5, pg6, pg7) },
});
