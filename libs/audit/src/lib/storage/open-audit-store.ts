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
  await tuneSqlite(db);
  return { orm, db, close: () => orm.close(true) };
}

/**
 * WAL with `synchronous=NORMAL`: a committed batch survives a process crash (an OS crash may lose
 * the last batches, which a re-import or the poller's overlap brings back, deduplicated on
 * eventID); without it every batch waits for an fsync and ingest is several times slower.
 */
export async function tuneSqlite(db: AuditDb): Promise<void> {
  if (db.driver !== 'sqlite') return;
  await db.all('pragma journal_mode = wal');
  await db.run('pragma synchronous = normal');
}
