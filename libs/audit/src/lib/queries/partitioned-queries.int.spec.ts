import { MikroORM } from '@mikro-orm/core';
import type { RunPhaseChanged } from '@runtrail/contracts';
import { databaseOptionsFor } from '@runtrail/persistence';
import { describeEachDatabase } from '@runtrail/testing';
import { ulid } from 'ulid';
import { AuditStoreHarness } from '../../spec/audit-store.harness';
import { credentialsIssued, events, phaseChanged } from '../../spec/run-facts.fixture';
import { assumeRoleRecord, callRecord } from '../../spec/trail-records.fixture';
import { auditPersistence } from '../audit.persistence';
import { RecordIssuance } from '../runs/record-issuance.usecase';
import { RecordRunPhase } from '../runs/record-run-phase.usecase';
import { AuditDb } from '../storage/audit-db';
import type { Page } from './cursor';
import { runTimeline } from './run-timeline.query';
import { whoChanged } from './who-changed.query';

const SCOPE = { account: 'acme', visibleSpaces: null };

/** A CreateBucket call naming `bucket` (so several calls can change the same resource). */
function bucketCall(eventID: string, at: string, accessKeyId: string, bucket: string): Record<string, unknown> {
  return { ...callRecord(eventID, at, accessKeyId, '10.1.2.3'), requestParameters: { bucketName: bucket } };
}

/** Every page of a list, following nextCursor; the ids of each page. */
async function pages(read: (cursor: string | undefined) => Promise<Page<{ eventId: string }>>): Promise<string[][]> {
  const out: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    out.push(page.items.map((e) => e.eventId));
    cursor = page.nextCursor ?? undefined;
  } while (cursor && out.length < 50);
  return out;
}

// The timeline is bounded by the run's event span (PostgreSQL then reads only the months it covers)
// and who-changed joins on the event's time (one month of cloudtrail_event per row): the answers
// must be those of the unbounded queries, on both drivers, whatever month the calls fall in.
describeEachDatabase('timeline and who-changed over monthly partitions', (database) => {
  let audit: AuditStoreHarness;
  let phases: RecordRunPhase;
  let issuances: RecordIssuance;
  beforeAll(async () => {
    audit = await AuditStoreHarness.open(database.databaseUrl);
    phases = new RecordRunPhase(audit.store.db, audit.findings);
    issuances = new RecordIssuance(audit.store.db, audit.findings);
  });
  afterAll(() => audit?.close());

  const phase = (runId: string, p: RunPhaseChanged['phase'], at: string) => phases.record(phaseChanged(runId, p, at));
  const issued = credentialsIssued;
  /** Ids of the run's calls in timeline order, read without any time bound. */
  const unbounded = async (runId: string) =>
    (await audit.store.db.all(`select "event_id" from "cloudtrail_event" where "run_id" = ? order by "event_time", "event_id"`, [runId]))
      .map((r) => String(r['event_id']));
  /** The partitions (PostgreSQL) holding the events. */
  const monthsOf = async (ids: string[]) => {
    if (database.driver !== 'postgres') return [];
    const rows = await audit.store.db.all(
      `select distinct "tableoid"::regclass::text as "p" from "cloudtrail_event" where "event_id" in (${AuditDb.list(ids.length)}) order by 1`, ids);
    return rows.map((r) => String(r['p']));
  };

  it('pages a run whose calls straddle a month boundary, in time order, across both months', async () => {
    const runId = ulid();
    const key = 'ASIASTRADDLE00000001';
    await phase(runId, 'APPLYING', '2026-01-31T23:50:00.000Z');
    await issuances.issued(issued(runId, key, '2026-01-31T23:50:01.000Z'));
    await audit.ingest.ingest(events(
      assumeRoleRecord(`a0-${runId}`, '2026-01-31T23:50:01Z', runId, key),
      callRecord(`c1-${runId}`, '2026-01-31T23:55:00Z', key, '10.1.2.3'),
      callRecord(`c2-${runId}`, '2026-01-31T23:59:59Z', key, '10.1.2.3'),
      callRecord(`c3-${runId}`, '2026-02-01T00:00:00Z', key, '10.1.2.3'),
      callRecord(`c4-${runId}`, '2026-02-01T00:00:00Z', key, '10.1.2.3'),
      callRecord(`c5-${runId}`, '2026-02-01T00:20:00Z', key, '10.1.2.3'),
    ), 'test');

    const all = await unbounded(runId);
    expect(all).toEqual([`a0-${runId}`, `c1-${runId}`, `c2-${runId}`, `c3-${runId}`, `c4-${runId}`, `c5-${runId}`]);
    // Pages of 2 cross the month boundary: one cursor points into January, the next into February.
    const paged = await pages(async (cursor) => (await runTimeline(audit.store.db, runId, SCOPE, cursor, 2)).events);
    expect(paged).toEqual([all.slice(0, 2), all.slice(2, 4), all.slice(4, 6)]);
    expect((await runTimeline(audit.store.db, runId, SCOPE, undefined, 100)).events).toMatchObject({ nextCursor: null });
    if (database.driver === 'postgres') {
      expect(await monthsOf(all)).toEqual(['cloudtrail_event_p202601', 'cloudtrail_event_p202602']);
    }
  });

  it('pages who changed a resource newest first over several months, cursors crossing partitions', async () => {
    const runId = ulid();
    const key = 'ASIAMONTHS0000000001';
    const bucket = `bucket-${runId}`;
    await phase(runId, 'APPLYING', '2026-03-01T00:00:00.000Z');
    await issuances.issued(issued(runId, key, '2026-03-01T00:00:01.000Z'));
    const times = ['2026-03-01T00:00:05Z', '2026-03-31T23:59:59Z', '2026-04-01T00:00:00Z', '2026-05-15T12:00:00Z', '2026-05-15T12:00:00Z', '2026-06-02T08:00:00Z'];
    await audit.ingest.ingest(events(
      assumeRoleRecord(`a0-${runId}`, '2026-03-01T00:00:01Z', runId, key),
      ...times.map((at, i) => bucketCall(`w${i}-${runId}`, at, key, bucket)),
      callRecord(`other-${runId}`, '2026-04-02T00:00:00Z', key, '10.1.2.3'),
    ), 'test');

    // Newest first; the two calls of the same millisecond by event id, descending.
    const newestFirst = [`w5-${runId}`, `w4-${runId}`, `w3-${runId}`, `w2-${runId}`, `w1-${runId}`, `w0-${runId}`];
    const paged = await pages((cursor) => whoChanged(audit.store.db, bucket, SCOPE, cursor, 4));
    expect(paged).toEqual([newestFirst.slice(0, 4), newestFirst.slice(4)]);
    expect(await pages((cursor) => whoChanged(audit.store.db, bucket, SCOPE, cursor, 1))).toEqual(newestFirst.map((id) => [id]));
    const one = await whoChanged(audit.store.db, bucket, SCOPE, undefined, 100);
    expect(one.items.map((e) => e.eventId)).toEqual(newestFirst);
    expect(one.items[0]).toMatchObject({ runId, account: 'acme', eventName: 'CreateBucket' });
    // Another account sees none of them.
    expect((await whoChanged(audit.store.db, bucket, { account: 'other', visibleSpaces: null })).items).toEqual([]);
    if (database.driver === 'postgres') {
      expect(await monthsOf(newestFirst)).toEqual(
        ['cloudtrail_event_p202603', 'cloudtrail_event_p202604', 'cloudtrail_event_p202605', 'cloudtrail_event_p202606']);
    }
  });

  it('widens the span for calls linked late: stored before their AssumeRole, and before their issuance', async () => {
    // Calls of a session ingested before the AssumeRole that issued it (another file): the backfill links them.
    const early = ulid();
    const earlyKey = 'ASIABACKFILL00000001';
    await phase(early, 'APPLYING', '2026-07-31T23:58:00.000Z');
    await issuances.issued(issued(early, earlyKey, '2026-07-31T23:59:00.000Z'));
    await audit.ingest.ingest(events(
      callRecord(`c1-${early}`, '2026-08-01T00:30:00Z', earlyKey, '10.1.2.3'),
      callRecord(`c2-${early}`, '2026-09-01T00:10:00Z', earlyKey, '10.1.2.3'),
    ), 'test');
    expect((await runTimeline(audit.store.db, early, SCOPE)).events.items).toEqual([]);
    await audit.ingest.ingest(events(assumeRoleRecord(`a0-${early}`, '2026-07-31T23:59:00Z', early, earlyKey)), 'test');
    expect((await runTimeline(audit.store.db, early, SCOPE)).events.items.map((e) => e.eventId))
      .toEqual([`a0-${early}`, `c1-${early}`, `c2-${early}`]);

    // The trail first, the issuance after (a replayed import): the issuance links the session's calls.
    const late = ulid();
    const lateKey = 'ASIALATEISSUANCE0001';
    await audit.ingest.ingest(events(
      assumeRoleRecord(`a0-${late}`, '2026-10-31T23:59:00Z', late, lateKey),
      callRecord(`c1-${late}`, '2026-11-01T00:01:00Z', lateKey, '10.1.2.3'),
    ), 'test');
    await phase(late, 'APPLYING', '2026-10-31T23:58:00.000Z');
    expect((await runTimeline(audit.store.db, late, SCOPE)).events.items).toEqual([]);
    await issuances.issued(issued(late, lateKey, '2026-10-31T23:59:00.000Z'));
    const timeline = await runTimeline(audit.store.db, late, SCOPE);
    expect(timeline.events.items.map((e) => e.eventId)).toEqual(await unbounded(late));
    expect(timeline.events.items.map((e) => e.eventId)).toEqual([`a0-${late}`, `c1-${late}`]);
  });

  it('runs a statement read in index order with sorts disabled, leaving the pooled connections as they were', async () => {
    const db = audit.store.db;
    const setting = `select current_setting('enable_sort', true) as "s"`;
    if (database.driver === 'sqlite') {
      await expect(db.prepared('select 1 as "one"', [], { readIndexOrder: true })).resolves.toEqual([{ one: 1 }]);
      return;
    }
    await expect(db.prepared(setting, [], { readIndexOrder: true })).resolves.toEqual([{ s: 'off' }]);
    await expect(db.prepared(setting)).resolves.toEqual([{ s: 'on' }]);
    await expect(db.prepared('select 1 / (? - 1) as "x"', [1], { readIndexOrder: true })).rejects.toThrow(/division by zero/);
    await expect(db.all(setting)).resolves.toEqual([{ s: 'on' }]);
    await expect(db.prepared('select 1 / (? - 1) as "x"', [3], { readIndexOrder: true })).resolves.toEqual([{ x: 0 }]);
  });

  it('fills the span of calls stored before the span migration; down removes it', async () => {
    const orm = await MikroORM.init(databaseOptionsFor({ ...auditPersistence, databaseUrl: await database.newDatabaseUrl('audit_span') }));
    const db = AuditDb.of(orm);
    try {
      const migrator = orm.getMigrator();
      await migrator.up({ to: 'Migration20261207090000_partition_events_by_month' });
      const runId = ulid();
      await db.run(`insert into "run" ("run_id", "account", "space_id", "caller_type", "caller_id", "caller_slug", "run_type", "worker_id")
        values (?, 'acme', 'root', 'stack', 'c', 'network', 'TRACKED', 'w1')`, [runId]);
      for (const [id, at] of [['old-2', Date.now() - 1000], ['old-1', Date.now() - 2000]] as const) {
        await db.run(`insert into "cloudtrail_event" ("event_id", "event_time", "event_name", "event_source", "run_id", "account", "source")
          values (?, ?, 'PutObject', 's3.amazonaws.com', ?, 'acme', 'spec')`, [id, at, runId]);
      }
      expect((await migrator.up()).map((m) => m.name)).toEqual(['Migration20261208090000_run_event_span']);
      expect((await runTimeline(db, runId, SCOPE)).events.items.map((e) => e.eventId)).toEqual(['old-1', 'old-2']);
      expect((await migrator.down()).map((m) => m.name)).toEqual(['Migration20261208090000_run_event_span']);
      expect(Object.keys((await db.all(`select * from "run" where "run_id" = ?`, [runId]))[0] ?? {})).not.toContain('first_event_at');
    } finally {
      await db.close();
      await orm.close(true);
    }
  });
});
