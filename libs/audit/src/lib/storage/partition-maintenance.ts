import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { AuditEnv } from '../audit.env';
import { AUDIT_ENV } from '../service/audit.providers';
import { AuditDb } from './audit-db';
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

/** How often partitions are maintained: they are created months ahead, so hourly is plenty. */
const MAINTENANCE_INTERVAL_MS = 3_600_000;

/** Runs `maintainPartitions` at start and every hour (PostgreSQL only). */
@Injectable()
export class PartitionMaintainer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('AuditPartitions');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: AuditDb,
    @Inject(AUDIT_ENV) private readonly env: AuditEnv,
  ) {}

  onApplicationBootstrap(): void {
    if (this.db.driver !== 'postgres') return;
    const pass = () => {
      this.running = maintainPartitions(this.db, { now: new Date(), retentionDays: this.env.AUDIT_RETENTION_DAYS ?? null })
        .then(({ created, dropped }) => {
          if (created.length || dropped.length)
            this.log.log(`partitions created: ${created.join(', ') || 'none'}; dropped past retention: ${dropped.join(', ') || 'none'}`);
        })
        .catch((error: unknown) => this.log.warn(`partition maintenance failed: ${error instanceof Error ? error.message : String(error)}`));
    };
    pass();
    this.timer = setInterval(pass, MAINTENANCE_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
