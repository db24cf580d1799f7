import { MikroORM } from '@mikro-orm/core';
import { databaseOptionsFor } from '@runtrail/persistence';
import { describeEachDatabase } from '@runtrail/testing';
import { auditPersistence } from '../audit.persistence';
import { AuditDb } from './audit-db';
import { maintainPartitions, PartitionMonths } from './partitions';
import { monthStart } from './partitions.sql';

const RUN = '01HND497T9JKR76MR3KA2CDJHP';
const PARTITIONS = 'Migration20261207090000_partition_events_by_month';
const JAN_2025 = Date.UTC(2025, 0, 15);
const JUN_2026 = Date.UTC(2026, 5, 15);
const NOW = new Date(Date.UTC(2026, 11, 2));

async function insertEvent(db: AuditDb, id: string, time: number): Promise<void> {
  await db.run(
    `insert into "cloudtrail_event" ("event_id", "event_time", "event_name", "event_source", "run_id", "source") values (?, ?, 'PutObject', 's3.amazonaws.com', ?, 'spec') on conflict do nothing`,
    [id, time, RUN],
  );
  await db.run(`insert into "event_resource" ("resource", "event_time", "event_id") values ('arn:aws:s3:::b', ?, ?) on conflict do nothing`, [time, id]);
}

async function partitions(db: AuditDb, table: string): Promise<string[]> {
  const rows = await db.all<{ name: string }>(
    `select c.relname as "name" from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = to_regclass(?) order by 1`,
    [`"${table}"`],
  );
  return rows.map((r) => r.name);
}

async function eventIds(db: AuditDb): Promise<string[]> {
  const rows = await db.all<{ event_id: string }>(`select "event_id" from "cloudtrail_event" where "run_id" = ? order by "event_time", "event_id"`, [RUN]);
  return rows.map((r) => r.event_id);
}

// PostgreSQL partitions; on SQLite the migration and the maintenance change nothing.
describeEachDatabase('audit events partitioned by month', (database) => {
  let orm: MikroORM;

  beforeAll(async () => {
    orm = await MikroORM.init(databaseOptionsFor({ ...auditPersistence, databaseUrl: database.databaseUrl }));
  });
  afterAll(() => orm?.close(true));

  it('moves stored events into monthly partitions, creates months ahead, drops months past retention; down puts them back', async () => {
    const migrator = orm.getMigrator();
    await migrator.up({ to: 'Migration20261206090000_trail_source_s3_checkpoint' });
    const db = AuditDb.of(orm);
    try {
      await insertEvent(db, 'e-2025-01', JAN_2025);
      await insertEvent(db, 'e-2026-06', JUN_2026);
      const applied = (await migrator.up({ to: PARTITIONS })).map((m) => m.name);
      expect(applied).toEqual([PARTITIONS]);
      if (database.driver === 'sqlite') {
        await maintainPartitions(db, { now: NOW, retentionDays: 30 });
        expect(await eventIds(db)).toEqual(['e-2025-01', 'e-2026-06']);
        return;
      }
      expect(await eventIds(db)).toEqual(['e-2025-01', 'e-2026-06']);
      const months = await partitions(db, 'cloudtrail_event');
      expect(months).toEqual(expect.arrayContaining(['cloudtrail_event_default', 'cloudtrail_event_p202501', 'cloudtrail_event_p202606']));
      const nowMonth = new Date(monthStart(Date.now(), 3));
      const ahead = `cloudtrail_event_p${nowMonth.getUTCFullYear()}${String(nowMonth.getUTCMonth() + 1).padStart(2, '0')}`;
      expect(months).toContain(ahead);
      expect(await partitions(db, 'event_resource')).toContain('event_resource_p202606');

      // A redelivered event is still stored once; the timeline's next page (its keyset condition, as
      // queries/cursor.ts writes it) reads no month before the cursor.
      await insertEvent(db, 'e-2026-06', JUN_2026);
      expect(await eventIds(db)).toEqual(['e-2025-01', 'e-2026-06']);
      const plan = await db.all<{ 'QUERY PLAN': string }>(
        `explain select "event_id" from "cloudtrail_event" where "run_id" = ? and ("event_time" > ? or ("event_time" = ? and "event_id" > ?)) order by "event_time", "event_id" limit 100`,
        [RUN, Date.UTC(2026, 5, 1), Date.UTC(2026, 5, 1), ''],
      );
      const planText = plan.map((r) => r['QUERY PLAN']).join('\n');
      expect(planText).toContain('cloudtrail_event_p202606');
      expect(planText).not.toContain('cloudtrail_event_p202501');

      // An event far ahead waits in the default partition until its month is created.
      const far = Date.UTC(2031, 2, 3);
      await insertEvent(db, 'e-2031-03', far);
      const [inDefault] = await db.all(`select count(*) as "n" from "cloudtrail_event_default"`);
      expect(Number(inDefault?.['n'])).toBe(1);
      const later = await maintainPartitions(db, { now: new Date(Date.UTC(2031, 1, 1)), retentionDays: 400 });
      expect(later.created).toEqual(expect.arrayContaining(['cloudtrail_event_p203103', 'event_resource_p203103']));
      const [movedOut] = await db.all(`select count(*) as "n" from "cloudtrail_event_default"`);
      expect(Number(movedOut?.['n'])).toBe(0);
      // 400 days before 2031-02-01 is 2029-12-28: every month of 2025 and 2026 is past retention.
      expect(later.dropped).toEqual(expect.arrayContaining(['cloudtrail_event_p202501', 'cloudtrail_event_p202606', 'event_resource_p202606']));
      expect(await eventIds(db)).toEqual(['e-2031-03']);
      const [resources] = await db.all(`select count(*) as "n" from "event_resource"`);
      expect(Number(resources?.['n'])).toBe(1);

      // Ingest creates the months of the events it is about to store (an older trail's import).
      const ingestMonths = new PartitionMonths();
      await ingestMonths.ensure(db, [Date.UTC(2030, 4, 9), Date.UTC(2030, 4, 20)], Date.UTC(2031, 1, 1));
      expect(await partitions(db, 'cloudtrail_event')).toContain('cloudtrail_event_p203005');
      expect(await partitions(db, 'event_resource')).toContain('event_resource_p203005');
      await ingestMonths.ensure(db, [Date.UTC(2030, 4, 9)], Date.UTC(2031, 1, 1));

      // Run twice (two replicas, or the next hour): nothing more to do.
      expect(await maintainPartitions(db, { now: new Date(Date.UTC(2031, 1, 1)), retentionDays: 400 })).toEqual({ created: [], dropped: [] });
      expect(await eventIds(db)).toEqual(['e-2031-03']);

      expect((await migrator.down()).map((m) => m.name)).toEqual([PARTITIONS]);
      expect(await partitions(db, 'cloudtrail_event')).toEqual([]);
      expect(await eventIds(db)).toEqual(['e-2031-03']);
      await migrator.up();
    } finally {
      await db.close();
    }
  });
});
