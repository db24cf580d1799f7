import type { AuditDb } from './audit-db';
import {
  monthOfPartition,
  monthStart,
  PARTITION_MONTHS_AHEAD,
  PARTITIONED_TABLES,
  partitionName,
  type PartitionedTable,
} from './partitions.sql';

const DAY_MS = 86_400_000;

/** What one maintenance pass did. */
export interface PartitionMaintenance {
  created: string[];
  dropped: string[];
}

/**
 * One pass over the monthly partitions (PostgreSQL; SQLite has none and nothing happens):
 * - creates every month from the retention cutoff's (or the current one, without retention) to
 *   `PARTITION_MONTHS_AHEAD` ahead, moving rows of such a month out of the default partition first;
 * - with `retentionDays`, drops the months that end before now - retentionDays (whole months: an
 *   event is kept at least `retentionDays`, at most a month longer) and deletes older rows that
 *   landed in the default partition.
 * Safe to run from every replica at once: each month is created or dropped in its own transaction
 * and "already there" or "already gone" is not an error.
 */
export async function maintainPartitions(
  db: AuditDb,
  options: { now: Date; retentionDays: number | null },
): Promise<PartitionMaintenance> {
  const done: PartitionMaintenance = { created: [], dropped: [] };
  if (db.driver !== 'postgres') return done;
  const now = options.now.getTime();
  const cutoff = options.retentionDays ? now - options.retentionDays * DAY_MS : null;
  for (const table of PARTITIONED_TABLES) {
    const existing = await partitionsOf(db, table);
    const months = new Set(existing.map(monthOfPartition).filter((m): m is number => m !== null));
    for (let m = monthStart(cutoff ?? now); m <= monthStart(now, PARTITION_MONTHS_AHEAD); m = monthStart(m, 1)) {
      if (months.has(m)) continue;
      if (await createMonth(db, table, m)) done.created.push(partitionName(table, m));
    }
    if (cutoff === null) continue;
    for (const name of existing) {
      const month = monthOfPartition(name);
      if (month === null || monthStart(month, 1) > cutoff) continue;
      await db.run(`drop table if exists "${name}"`);
      done.dropped.push(name);
    }
    await db.run(`delete from "${table}_default" where "event_time" < ?`, [cutoff]);
  }
  return done;
}

/** Months more than this far back get no partition of their own from ingest (they wait in the default). */
const INGEST_MONTHS_BACK = 120;

/**
 * Makes sure the months of events about to be stored have their partitions (PostgreSQL), so an
 * import of an older trail lands in monthly partitions rather than the default one. Ingest calls it
 * before each batch's transaction; a month seen once is remembered, so a batch of known months costs
 * nothing. Months more than ten years back or past the months kept ahead stay in the default
 * partition (a wrong clock in a record cannot create partitions at will).
 */
export class PartitionMonths {
  private readonly known = new Set<number>();
  private partitioned: boolean | undefined;

  async ensure(db: AuditDb, times: Iterable<number>, now = Date.now()): Promise<void> {
    if (db.driver !== 'postgres') return;
    const [oldest, newest] = [monthStart(now, -INGEST_MONTHS_BACK), monthStart(now, PARTITION_MONTHS_AHEAD)];
    const wanted = new Set<number>();
    for (const t of times) {
      const m = monthStart(t);
      if (m >= oldest && m <= newest && !this.known.has(m)) wanted.add(m);
    }
    if (!wanted.size) return;
    // A database whose partition migration was undone has plain tables: nothing to create.
    this.partitioned ??= (await db.all(`select 1 from pg_partitioned_table where partrelid = to_regclass('"cloudtrail_event"')`)).length > 0;
    if (!this.partitioned) return;
    for (const table of PARTITIONED_TABLES) {
      const existing = new Set((await partitionsOf(db, table)).map(monthOfPartition));
      for (const m of wanted) if (!existing.has(m)) await createMonth(db, table, m);
    }
    for (const m of wanted) this.known.add(m);
  }
}

async function partitionsOf(db: AuditDb, table: PartitionedTable): Promise<string[]> {
  const rows = await db.all<{ name: string }>(
    `select c.relname as "name" from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = to_regclass(?)`,
    [`"${table}"`],
  );
  return rows.map((r) => r.name);
}

/**
 * A month's partition, built beside the table and attached, after moving that month's rows out of the
 * default partition (PostgreSQL refuses to create a partition whose rows sit in the default one).
 * False when another replica created it first.
 */
async function createMonth(db: AuditDb, table: PartitionedTable, month: number): Promise<boolean> {
  const name = partitionName(table, month);
  const [from, to] = [month, monthStart(month, 1)];
  try {
    await db.transaction(async (tx) => {
      await tx.run(`create table "${name}" (like "${table}" including defaults)`);
      await tx.run(`insert into "${name}" select * from "${table}_default" where "event_time" >= ? and "event_time" < ?`, [from, to]);
      await tx.run(`delete from "${table}_default" where "event_time" >= ? and "event_time" < ?`, [from, to]);
      await tx.run(`alter table "${table}" attach partition "${name}" for values from (${from}) to (${to})`);
    });
    return true;
  } catch (error) {
    // 42P07: another replica created it between our listing and our create.
    if ((error as { code?: string }).code === '42P07') return false;
    throw error;
  }
}
