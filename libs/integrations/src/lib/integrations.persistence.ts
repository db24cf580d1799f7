import { definePersistence, migrationList } from '@runtrail/persistence';
import * as pg1 from './storage/migrations/postgres/20261122060632-create-integrations.migration';
import * as pg2 from './storage/migrations/postgres/20261202050000-source-identity-opt-in.migration';
import * as pg3 from './storage/migrations/postgres/20261202060000-runs.migration';
import * as pg4 from './storage/migrations/postgres/20261202070000-trace-context.migration';
import * as lite1 from './storage/migrations/sqlite/20261122060632-create-integrations.migration';
import * as lite2 from './storage/migrations/sqlite/20261202050000-source-identity-opt-in.migration';
import * as lite3 from './storage/migrations/sqlite/20261202060000-runs.migration';
import * as lite4 from './storage/migrations/sqlite/20261202070000-trace-context.migration';
import { Account } from './storage/account.entity';
import { ApiKey } from './storage/api-key.entity';
import { Attachment } from './storage/attachment.entity';
import { Caller } from './storage/caller.entity';
import { AwsIntegration } from './storage/integration.entity';
import { OutboxEvent } from './storage/outbox-event.entity';
import { Run } from './storage/run.entity';
import { Space } from './storage/space.entity';

/** The integrations service's own database (a SQLite file or a PostgreSQL schema named after it). */
export const integrationsPersistence = definePersistence({
  service: 'integrations',
  entities: [Account, Space, ApiKey, Caller, AwsIntegration, Attachment, OutboxEvent, Run],
  migrations: { sqlite: migrationList(lite1, lite2, lite3, lite4), postgres: migrationList(pg1, pg2, pg3, pg4) },
});
