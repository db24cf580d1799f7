import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { PersistenceModule, schemaDrift } from '@runtrail/persistence';
import { describeEachDatabase, testPostgresUrl } from '@runtrail/testing';
import type { RunPhaseChanged } from '@runtrail/contracts';
import { credentialBrokerPersistence } from '../credential-broker.persistence';
import { IssuanceLedger } from './issuance.ledger';
import { RunStateStore } from './run-state.store';

const KEY = {
  runId: '01DSJ63P40BAZY4VW8BXXG7M4K',
  phase: 'APPLYING',
  integrationId: '01HZY1V6QK3M7W3X9T2B5C8D4E',
};
const T0 = new Date('2026-11-22T10:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const claimAt = (ledger: IssuanceLedger, ms: number) =>
  ledger.claim({ ...KEY, mode: 'platform', sessionName: 'run@caller@acme', now: at(ms), leaseMs: 10_000 });

describeEachDatabase('credential-broker ledger', (db) => {
  let app: INestApplicationContext;
  let ledger: IssuanceLedger;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        PersistenceModule.forService({ ...credentialBrokerPersistence, databaseUrl: db.databaseUrl }),
      ],
      providers: [IssuanceLedger, RunStateStore],
    }).compile();
    app = await moduleRef.init();
    ledger = app.get(IssuanceLedger);
  });

  afterAll(() => app?.close());

  it('has migrations that match the entities', async () => {
    expect(await schemaDrift(credentialBrokerPersistence, db.driver, testPostgresUrl())).toEqual([]);
  });

  it('lets one of several concurrent claims proceed; the others see a live claim', async () => {
    const outcomes = await Promise.all([0, 1, 2, 3, 4].map(() => claimAt(ledger, 0)));
    expect(outcomes.filter((o) => o.kind === 'fresh')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'busy')).toHaveLength(4);
  });

  it("takes over a dead replica's claim once its lease expired, remembering how far it got, exactly once", async () => {
    const first = await claimAt(ledger, 1);
    expect(first.kind).toBe('busy');
    const fresh = await ledger.find(KEY);
    await ledger.recordAssumed(KEY, fresh!.claimToken, 'ASIAFIRSTSESSION0001', at(900_000), at(100));

    const [a, b] = await Promise.all([claimAt(ledger, 20_000), claimAt(ledger, 20_000)]);
    const takeovers = [a, b].filter((o) => o.kind === 'takeover');
    expect(takeovers).toHaveLength(1);
    expect(takeovers[0]).toMatchObject({
      previous: { state: 'assumed', accessKeyId: 'ASIAFIRSTSESSION0001' },
    });
    // The dead replica's token no longer moves the row.
    expect(
      await ledger.recordDelivered(KEY, fresh!.claimToken, 'ASIAFIRSTSESSION0001', at(900_000), at(20_001)),
    ).toBe(false);

    const winner = takeovers[0]!.kind === 'takeover' ? takeovers[0]!.claimToken : '';
    expect(await ledger.recordDelivered(KEY, winner, 'ASIAFIRSTSESSION0001', at(900_000), at(20_002))).toBe(
      true,
    );
    expect(await claimAt(ledger, 40_000)).toMatchObject({
      kind: 'done',
      row: { state: 'delivered', accessKeyId: 'ASIAFIRSTSESSION0001' },
    });
  });

  it('numbers concurrent refreshes 1, 2, 3 without gaps or repeats', async () => {
    const numbers = await Promise.all(
      [0, 1, 2].map((i) => ledger.nextRefresh(KEY, `ASIAREFRESH000000${i}`, at(2_000_000), at(50_000))),
    );
    expect(numbers.sort()).toEqual([1, 2, 3]);
  });

  const runEvent = (phase: RunPhaseChanged['phase'], ms: number, runId = KEY.runId): RunPhaseChanged => ({
    runId,
    account: 'acme',
    spaceId: 'root',
    caller: { type: 'stack', id: KEY.integrationId, slug: 'network' },
    runType: 'TRACKED',
    phase,
    workerId: 'w1',
    workerPublicKey: { kty: 'EC', crv: 'P-256', x: 'a'.repeat(43), y: 'b'.repeat(43) },
    at: at(ms).toISOString(),
  });

  it('keeps the latest phase of a run: a late, older event does not revive a finished run', async () => {
    const runs = app.get(RunStateStore);
    expect(await runs.record(runEvent('APPLYING', 1_000), at(1_000))).toBe(true);
    expect(await runs.record(runEvent('FINISHED', 2_000), at(2_000))).toBe(true);
    expect(await runs.record(runEvent('APPLYING', 1_000), at(3_000))).toBe(false);
    expect((await runs.find(KEY.runId))?.phase).toBe('FINISHED');
  });

  it('keeps a terminal phase final: a later or same-time event of another phase does not revive the run', async () => {
    const runs = app.get(RunStateStore);
    const runId = '01DSJ63P40BAZY4VW8BXXG7M5A';
    expect(await runs.record(runEvent('APPLYING', 1_000, runId), at(1_000))).toBe(true);
    expect(await runs.record(runEvent('STOPPED', 2_000, runId), at(2_000))).toBe(true);
    expect(await runs.record(runEvent('APPLYING', 2_000, runId), at(3_000))).toBe(false);
    expect(await runs.record(runEvent('PERFORMING', 5_000, runId), at(5_000))).toBe(false);
    expect((await runs.find(runId))?.phase).toBe('STOPPED');
  });

  it('records many runs and issuances at once, each with its own outcome (one statement per kind on PostgreSQL)', async () => {
    const runs = app.get(RunStateStore);
    const runIds = Array.from({ length: 12 }, (_, i) => `01DSJ63P40BAZY4VW8BXXG7N${String(i).padStart(2, '0')}`);
    await runs.record(runEvent('FINISHED', 5_000, runIds[0]), at(5_000));
    await runs.record(runEvent('PLANNING', 9_000, runIds[1]), at(9_000));
    const recorded = await Promise.all(runIds.map((runId) => runs.record(runEvent('APPLYING', 6_000, runId), at(6_000))));
    // finished, and newer, stay; every other run is recorded
    expect(recorded).toEqual([false, false, ...runIds.slice(2).map(() => true)]);
    expect((await runs.find(runIds[0]!))?.phase).toBe('FINISHED');
    expect((await runs.find(runIds[1]!))?.phase).toBe('PLANNING');
    expect((await runs.find(runIds[5]!))?.phase).toBe('APPLYING');

    const keys = runIds.map((runId) => ({ ...KEY, runId }));
    const claims = await Promise.all(
      keys.map((k) => ledger.claim({ ...k, mode: 'platform', sessionName: 'run@caller@acme', now: at(0), leaseMs: 10_000 })),
    );
    expect(claims.every((c) => c.kind === 'fresh')).toBe(true);
    const tokens = claims.map((c) => (c.kind === 'fresh' ? c.claimToken : ''));
    const assumed = await Promise.all(
      keys.map((k, i) =>
        ledger.recordAssumed(k, i === 3 ? 'not-the-claim-token' : tokens[i]!, `ASIABATCH00000000${i}`, at(900_000), at(10)),
      ),
    );
    expect(assumed).toEqual(keys.map((_, i) => i !== 3));
    expect(await ledger.find(keys[4]!)).toMatchObject({ state: 'assumed', accessKeyId: 'ASIABATCH000000004' });
    expect(await ledger.find(keys[3]!)).toMatchObject({ state: 'claimed', accessKeyId: null });
  });

  it("records the run's deadline; an event without one (an older publisher) keeps it", async () => {
    const runs = app.get(RunStateStore);
    const runId = '01DSJ63P40BAZY4VW8BXXG7M5B';
    const deadline = at(86_400_000);
    await runs.record({ ...runEvent('PLANNING', 1_000, runId), deadline: deadline.toISOString() }, at(1_000));
    expect((await runs.find(runId))?.deadline).toEqual(deadline);
    await runs.record(runEvent('APPLYING', 2_000, runId), at(2_000));
    expect(await runs.find(runId)).toMatchObject({ phase: 'APPLYING', deadline });
    const older = '01DSJ63P40BAZY4VW8BXXG7M5C';
    await runs.record(runEvent('PLANNING', 1_000, older), at(1_000));
    expect((await runs.find(older))?.deadline ?? null).toBeNull();
  });
});
