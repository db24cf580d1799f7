import { definePersistence, type PersistenceDefinition } from '../lib/database-options';
import { migrationList } from '../lib/migration-list';
import * as pg1 from './migrations/postgres/20261101120000-create-sample-item.migration';
import * as pg2 from './migrations/postgres/20261102090000-add-sample-item-archived-at.migration';
import * as lite1 from './migrations/sqlite/20261101120000-create-sample-item.migration';
import * as lite2 from './migrations/sqlite/20261102090000-add-sample-item-archived-at.migration';
import { SampleItem } from './sample-item.entity';

/** What a feature lib writes once: its entities and both migration lists. */
export function samplePersistence(service: string): PersistenceDefinition {
  return definePersistence({
    service,
    entities: [SampleItem],
    migrations: { sqlite: migrationList(lite1, lite2), postgres: migrationList(pg1, pg2) },
  });
}
