import { auditTables } from './tables.sql';

/**
 * Time partitions of the two tables that grow with CloudTrail (PostgreSQL only): one partition per
 * calendar month (UTC) of `event_time` (epoch ms), named `<table>_pYYYYMM`, plus `<table>_default`
 * for rows outside every month created (older than the retention, or far ahead). Queries do not
 * change: they filter and order on `event_time`, and PostgreSQL prunes the months they cannot touch.
 * SQLite has no partitions; its tables stay as they are.
 */
export const PARTITIONED_TABLES = ['cloudtrail_event', 'event_resource'] as const;
export type PartitionedTable = (typeof PARTITIONED_TABLES)[number];

/** Months created ahead of the current one, by the migration and by each maintenance pass. */
export const PARTITION_MONTHS_AHEAD = 3;

const NAME = /_p(\d{4})(\d{2})$/;

/** Start of the UTC month of `ms`, plus `add` months, in epoch ms. */
export function monthStart(ms: number, add = 0): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + add, 1);
}

export function partitionName(table: PartitionedTable, month: number): string {
  const d = new Date(month);
  return `${table}_p${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The month (epoch ms) a partition name stands for, or null for the default partition. */
export function monthOfPartition(name: string): number | null {
  const m = NAME.exec(name);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, 1) : null;
}

/** The unpartitioned table's indexes, as tables.sql.ts defines them (primary key aside). */
function indexesOf(table: PartitionedTable): string[] {
  return auditTables('postgres').filter((s) => s.startsWith('create index') && s.includes(` on "${table}" `));
}

/** The names of those indexes. */
function indexNamesOf(table: PartitionedTable): string[] {
  return indexesOf(table).flatMap((s) => /create index "([^"]+)"/.exec(s)?.[1] ?? []);
}

/** The table's own `create table` statement in tables.sql.ts. */
function createTableOf(table: PartitionedTable): string {
  const statement = auditTables('postgres').find((s) => s.startsWith(`create table "${table}"`));
  if (!statement) throw new Error(`tables.sql.ts has no ${table}`);
  return statement;
}

/** `cloudtrail_event`'s primary key must hold the partition key: (event_id, event_time). */
const PRIMARY_KEYS: Record<PartitionedTable, string> = {
  cloudtrail_event: '"event_id", "event_time"',
  event_resource: '"resource", "event_time", "event_id"',
};

/**
 * Statements that turn both tables into monthly partitions, moving their rows: months from the oldest
 * event to `PARTITION_MONTHS_AHEAD` after the later of the newest event and now. One transaction
 * (the migration's), so a failure leaves the tables as they were.
 */
export function partitionTablesSql(): string[] {
  const out: string[] = [];
  for (const table of PARTITIONED_TABLES) {
    const old = `${table}_unpartitioned`;
    out.push(...renameAside(table, 'unpartitioned'));
    out.push(`create table "${table}" (like "${old}" including defaults) partition by range ("event_time")`);
    out.push(`alter table "${table}" add constraint "${table}_pkey" primary key (${PRIMARY_KEYS[table]})`);
    out.push(...indexesOf(table));
    out.push(`create table "${table}_default" partition of "${table}" default`);
    out.push(`do $$
declare
  first_month timestamp;
  last_month timestamp;
  m timestamp;
begin
  select date_trunc('month', to_timestamp(min("event_time") / 1000.0) at time zone 'UTC'),
         date_trunc('month', greatest(to_timestamp(max("event_time") / 1000.0), now()) at time zone 'UTC')
    into first_month, last_month from "${old}";
  m := coalesce(first_month, date_trunc('month', now() at time zone 'UTC'));
  while m <= last_month + interval '${PARTITION_MONTHS_AHEAD} months' loop
    execute format('create table %I partition of %I for values from (%s) to (%s)',
      '${table}_p' || to_char(m, 'YYYYMM'), '${table}',
      (extract(epoch from m) * 1000)::bigint, (extract(epoch from m + interval '1 month') * 1000)::bigint);
    m := m + interval '1 month';
  end loop;
end $$`);
    out.push(`insert into "${table}" select * from "${old}"`);
    out.push(`drop table "${old}"`);
  }
  return out;
}

/** The reverse: plain tables again, with every row (the down migration). */
export function unpartitionTablesSql(): string[] {
  const out: string[] = [];
  for (const table of PARTITIONED_TABLES) {
    const old = `${table}_partitioned`;
    out.push(...renameAside(table, 'partitioned'));
    out.push(createTableOf(table));
    out.push(...indexesOf(table));
    out.push(`insert into "${table}" select * from "${old}"`);
    out.push(`drop table "${old}" cascade`);
  }
  return out;
}

/** Renames the table, its primary key and its indexes to `<name>_<suffix>`, freeing the names. */
function renameAside(table: PartitionedTable, suffix: string): string[] {
  const old = `${table}_${suffix}`;
  return [
    `alter table "${table}" rename to "${old}"`,
    `alter table "${old}" rename constraint "${table}_pkey" to "${old}_pkey"`,
    ...indexNamesOf(table).map((name) => `alter index "${name}" rename to "${name}_${suffix}"`),
  ];
}
