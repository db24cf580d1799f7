import { MikroORM } from '@mikro-orm/core';
import { databaseOptionsFor, runMigrations } from '@runtrail/persistence';
import { auditPersistence } from '../audit.persistence';
import { AuditDb } from './audit-db';

/** The audit store outside Nest (CLI import, benchmarks, tests): migrated, with its ORM to close. */
export interface OpenAuditStore {
  orm: MikroORM;
  db: AuditDb;
  close(): Promise<void>;
}

/** Opens (and migrates) the audit database at `databaseUrl` (unset: `.data/audit.sqlite`). */
export async function openAuditStore(databaseUrl: string | undefined): Promise<OpenAuditStore> {
  const orm = await MikroORM.init(databaseOptionsFor({ ...auditPersistence, databaseUrl }));
  await runMigrations(orm);
  const db = AuditDb.of(orm);
  return {
    orm,
    db,
    close: async () => {
      await db.close();
      await orm.close(true);
    },
  };
}
