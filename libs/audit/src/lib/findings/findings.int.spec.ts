import type { RunPhaseChanged } from '@runtrail/contracts';
import { describeEachDatabase } from '@runtrail/testing';
import { ulid } from 'ulid';
import { AuditStoreHarness } from '../../spec/audit-store.harness';
import { credentialsIssued, events, phaseChanged } from '../../spec/run-facts.fixture';
import { assumeRoleRecord, callRecord } from '../../spec/trail-records.fixture';
import { CorrelationContext } from '../correlation/correlation-context';
import { RecordIssuance } from '../runs/record-issuance.usecase';
import { AuditDb } from '../storage/audit-db';
import { RecordRunPhase } from '../runs/record-run-phase.usecase';

describeEachDatabase('findings and late facts', (db) => {
  let audit: AuditStoreHarness;
  let phases: RecordRunPhase;
  let issuances: RecordIssuance;
  beforeAll(async () => {
    audit = await AuditStoreHarness.open(db.databaseUrl, ['10.0.0.0/8']);
    phases = new RecordRunPhase(audit.store.db, audit.findings);
    issuances = new RecordIssuance(audit.store.db, audit.findings);
  });
  afterAll(() => audit?.close());

  const phase = (runId: string, p: RunPhaseChanged['phase'], at: string) => phases.record(phaseChanged(runId, p, at));
  const issued = credentialsIssued;

  it('raises a call from outside the worker ranges, once per run and IP', async () => {
    const runId = ulid();
    await phase(runId, 'APPLYING', '2026-11-01T10:00:00.000Z');
    await issuances.issued(issued(runId, 'ASIAOUTSIDEIP0000001', '2026-11-01T10:00:01.000Z'));
    await audit.ingest.ingest(events(
      assumeRoleRecord(`ar-${runId}`, '2026-11-01T10:00:01Z', runId, 'ASIAOUTSIDEIP0000001'),
      callRecord(`in-${runId}`, '2026-11-01T10:00:05Z', 'ASIAOUTSIDEIP0000001', '10.1.2.3'),
      callRecord(`out1-${runId}`, '2026-11-01T10:00:06Z', 'ASIAOUTSIDEIP0000001', '198.51.100.7'),
      callRecord(`out2-${runId}`, '2026-11-01T10:00:07Z', 'ASIAOUTSIDEIP0000001', '198.51.100.7'),
    ), 'test');
    const raised = audit.published.filter((f) => f.kind === 'unknown_source_ip' && f.runId === runId);
    expect(raised).toEqual([expect.objectContaining({ id: `unknown_source_ip:${runId}:198.51.100.7`, account: 'acme', severity: 'high' })]);
  });

  it('raises use after the run ended when the end arrives after the calls were ingested', async () => {
    const runId = ulid();
    await phase(runId, 'APPLYING', '2026-11-02T10:00:00.000Z');
    await issuances.issued(issued(runId, 'ASIALATEENDING000001', '2026-11-02T10:00:01.000Z'));
    await audit.ingest.ingest(events(
      assumeRoleRecord(`ar-${runId}`, '2026-11-02T10:00:01Z', runId, 'ASIALATEENDING000001'),
      callRecord(`a-${runId}`, '2026-11-02T10:00:05Z', 'ASIALATEENDING000001', '10.1.2.3'),
      callRecord(`b-${runId}`, '2026-11-02T10:30:00Z', 'ASIALATEENDING000001', '10.1.2.3', 'DeleteBucket'),
    ), 'test');
    expect(audit.published.filter((f) => f.runId === runId && f.kind === 'used_after_run_ended')).toEqual([]);
    await phase(runId, 'FINISHED', '2026-11-02T10:10:00.000Z');
    await phase(runId, 'FINISHED', '2026-11-02T10:10:00.000Z'); // redelivered: nothing twice
    expect(audit.published.filter((f) => f.runId === runId && f.kind === 'used_after_run_ended')).toEqual([
      expect.objectContaining({ eventId: `b-${runId}`, details: expect.objectContaining({ eventName: 'DeleteBucket' }) }),
    ]);
  });

  it('links the trail to a run when the issuance arrives after the trail, and stores no secret', async () => {
    const runId = ulid();
    await audit.ingest.ingest(events(
      callRecord(`early-${runId}`, '2026-11-03T10:00:05Z', 'ASIATRAILFIRST000001', '10.1.2.3'), // a file delivered before the AssumeRole's
    ), 'test');
    await audit.ingest.ingest(events(assumeRoleRecord(`ar-${runId}`, '2026-11-03T10:00:01Z', runId, 'ASIATRAILFIRST000001')), 'test');
    await issuances.issued(issued(runId, 'ASIATRAILFIRST000001', '2026-11-03T10:00:01.000Z'));
    const rows = await audit.store.db.all(`select "event_id", "run_id", "link" from "cloudtrail_event" where "event_id" in (?, ?) order by "event_id"`, [`ar-${runId}`, `early-${runId}`]);
    expect(rows.map((r) => [r['event_id'], r['run_id'], r['link']])).toEqual([
      [`ar-${runId}`, runId, 'issuance_access_key'],
      [`early-${runId}`, runId, 'access_key'],
    ]);
    const leaked = await audit.count(`select count(*) from "cloudtrail_event" where cast("response_elements" as text) like '%never-stored%'`);
    expect(leaked).toBe(0);
  });

  // The issuance and the AssumeRole that issued its key arrive together (NATS and the poller): each
  // side's check for the other must not miss it.
  const linkOf = async (runId: string) =>
    audit.store.db.all(
      `select i."assume_event_id", e."run_id", e."link" from "issuance" i join "cloudtrail_event" e on e."event_id" = i."assume_event_id" where i."run_id" = ?`,
      [runId],
    );

  it('links an issuance recorded after the ingest correlated its batch and before it stored it', async () => {
    const runId = ulid();
    const load = CorrelationContext.load.bind(CorrelationContext);
    const spy = jest.spyOn(CorrelationContext, 'load').mockImplementationOnce(async (store, batch) => {
      const ctx = await load(store, batch); // does not know the issuance yet
      await issuances.issued(issued(runId, 'ASIARACEBEFORETX0001', '2026-11-04T10:00:01.000Z')); // finds no session yet
      return ctx;
    });
    try {
      await audit.ingest.ingest(events(assumeRoleRecord(`ar-${runId}`, '2026-11-04T10:00:01Z', runId, 'ASIARACEBEFORETX0001')), 'test');
    } finally {
      spy.mockRestore();
    }
    expect(await linkOf(runId)).toEqual([{ assume_event_id: `ar-${runId}`, run_id: runId, link: 'issuance_access_key' }]);
  });

  it('links an issuance recorded while the ingest that stores its AssumeRole is still open', async () => {
    const runId = ulid();
    const transaction = AuditDb.prototype.transaction;
    let recording: Promise<void> | undefined;
    const spy = jest.spyOn(AuditDb.prototype, 'transaction').mockImplementationOnce(function <T>(this: AuditDb, work: (tx: AuditDb) => Promise<T>) {
      return transaction.call(this, async (tx: AuditDb) => {
        const result = await work(tx);
        // Before the ingest commits: another connection records the issuance (SQLite: queued behind it).
        recording = issuances.issued(issued(runId, 'ASIARACEINSIDETX0001', '2026-11-05T10:00:01.000Z'));
        await new Promise((r) => setTimeout(r, 300));
        return result;
      }) as Promise<T>;
    });
    try {
      await audit.ingest.ingest(events(assumeRoleRecord(`ar-${runId}`, '2026-11-05T10:00:01Z', runId, 'ASIARACEINSIDETX0001')), 'test');
      await recording;
    } finally {
      spy.mockRestore();
    }
    expect(await linkOf(runId)).toEqual([{ assume_event_id: `ar-${runId}`, run_id: runId, link: 'issuance_access_key' }]);
  });
});
