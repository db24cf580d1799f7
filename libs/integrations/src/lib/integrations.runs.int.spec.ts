import { generateSealingKeyPair } from '@runtrail/sealing';
import type { PublicEcJwk } from '@runtrail/contracts';
import { describeEachDatabase, freePort, startNatsServer, startTestEmulator } from '@runtrail/testing';
import { ulid } from 'ulid';
import { IntegrationsApp } from '../spec/integrations-app.harness';
import { RunExpiryScheduler } from './runs/run-expiry.scheduler';
import { UnitOfWork } from './unit-of-work';

type Problem = { code: string; detail: string; issues?: Array<{ path: string; rule: string }> };
type RunView = {
  id: string;
  account: string;
  caller: { type: string; id: string; slug: string };
  spaceId: string;
  runType: string;
  phase: string;
  nextPhases: string[];
  deadline: string;
  phaseAt: string;
};

describeEachDatabase('integrations: the runs front door', (db) => {
  let api: IntegrationsApp;
  let admin: string;
  let scheduler: string;
  let workerPublicKey: PublicEcJwk;
  let prodStack: string;

  beforeAll(async () => {
    api = await IntegrationsApp.start(db.databaseUrl, {
      nats: await startNatsServer(),
      emulator: await startTestEmulator(),
      ports: [await freePort(), await freePort()],
    });
    admin = await api.account('acme');
    const post = (path: string, body: unknown) =>
      api.call<{ id: string; key: string }>('POST', path, { key: admin, body });
    await post('/v1/spaces', { id: 'prod', name: 'Production' });
    await post('/v1/spaces', { id: 'dev', name: 'Development' });
    prodStack = (await post('/v1/callers', { type: 'stack', slug: 'payments', spaceId: 'prod' })).body.id;
    scheduler = (await post('/v1/api-keys', { name: 'ci', role: 'scheduler' })).body.key;
    workerPublicKey = (await generateSealingKeyPair()).publicJwk;
  });
  afterAll(() => api?.close());

  const start = (key: string, body: Record<string, unknown>) =>
    api.call<RunView & Problem>('POST', '/v1/runs', {
      key,
      body: { workerId: 'worker-1', workerPublicKey, ...body },
    });
  const enter = (key: string, runId: string, phase: string) =>
    api.call<RunView & Problem>('POST', `/v1/runs/${runId}/phases`, { key, body: { phase } });
  const runEvents = async (runId: string, count: number) =>
    (
      await api.eventually(
        () => api.events('RUNS'),
        (e) => e.filter((x) => x.subject === `runs.v1.phase.${runId}`).length >= count,
      )
    ).filter((x) => x.subject === `runs.v1.phase.${runId}`);

  it('starts a run with account, space and caller from the registry, and publishes each phase with the server time', async () => {
    const created = await start(scheduler, {
      caller: { type: 'stack', slug: 'payments' },
      runType: 'TRACKED',
    });
    expect([created.status, created.body.detail]).toEqual([201, undefined]);
    expect(created.body).toMatchObject({
      account: 'acme',
      caller: { type: 'stack', id: prodStack, slug: 'payments' },
      spaceId: 'prod',
      phase: 'QUEUED',
      nextPhases: ['INITIALIZING', 'PLANNING', 'FAILED', 'STOPPED'],
    });
    const runId = created.body.id;
    expect(new Date(created.body.deadline).getTime() - Date.now()).toBeGreaterThan(23 * 3600_000);
    for (const phase of ['INITIALIZING', 'PLANNING', 'APPLYING', 'FINISHED']) {
      expect((await enter(scheduler, runId, phase)).body.phase).toBe(phase);
    }
    const events = await runEvents(runId, 5);
    expect(events.map((e) => e.data['phase'])).toEqual([
      'QUEUED',
      'INITIALIZING',
      'PLANNING',
      'APPLYING',
      'FINISHED',
    ]);
    expect(events[2]!.data).toMatchObject({
      runId,
      account: 'acme',
      spaceId: 'prod',
      caller: { type: 'stack', id: prodStack, slug: 'payments' },
      runType: 'TRACKED',
      workerId: 'worker-1',
      workerPublicKey,
      deadline: created.body.deadline,
    });
  });

  it('refuses forged account, space or caller fields instead of believing them', async () => {
    for (const forged of [{ account: 'globex' }, { spaceId: 'dev' }, { at: '2030-01-01T00:00:00Z' }]) {
      const reply = await start(scheduler, { callerId: prodStack, ...forged });
      expect([reply.status, reply.body.issues?.[0]?.path]).toEqual([400, Object.keys(forged)[0]]);
    }
    const phaseWithTime = await api.call<Problem>('POST', `/v1/runs/${ulid()}/phases`, {
      key: scheduler,
      body: { phase: 'PLANNING', at: '2030-01-01T00:00:00Z' },
    });
    expect([phaseWithTime.status, phaseWithTime.body.issues?.[0]?.path]).toEqual([400, 'at']);
  });

  it('follows the run type: 409 naming the phases for a bad transition; terminal phases are final; a repeat is a no-op', async () => {
    const runId = (await start(scheduler, { callerId: prodStack, runType: 'PROPOSED' })).body.id;
    const apply = await enter(scheduler, runId, 'APPLYING');
    expect([apply.status, apply.body.code]).toEqual([409, 'CONFLICT']);
    expect(apply.body.detail).toContain(
      'a PROPOSED run can go to INITIALIZING, PLANNING, FAILED, STOPPED from there, not APPLYING',
    );
    expect((await enter(scheduler, runId, 'PLANNING')).status).toBe(200);
    expect((await enter(scheduler, runId, 'PLANNING')).body.phase).toBe('PLANNING');
    expect((await enter(scheduler, runId, 'FINISHED')).status).toBe(200);
    const reopen = await enter(scheduler, runId, 'PLANNING');
    expect([reopen.status, reopen.body.detail]).toEqual([
      409,
      `run ${runId} is FINISHED, which is final: it cannot enter PLANNING`,
    ]);
    expect((await runEvents(runId, 3)).map((e) => e.data['phase'])).toEqual([
      'QUEUED',
      'PLANNING',
      'FINISHED',
    ]);
  });

  it("lets only scheduler and admin keys of the caller's spaces drive runs, and answers the same for unknown and hidden callers", async () => {
    const reader = (
      await api.call<{ key: string }>('POST', '/v1/api-keys', {
        key: admin,
        body: { name: 'ro', role: 'reader' },
      })
    ).body.key;
    expect((await start(reader, { callerId: prodStack })).status).toBe(403);
    const devScheduler = (
      await api.call<{ key: string }>('POST', '/v1/api-keys', {
        key: admin,
        body: { name: 'dev-ci', role: 'scheduler', spaceSubtree: 'dev' },
      })
    ).body.key;
    const hidden = await start(devScheduler, { callerId: prodStack });
    const unknown = await start(devScheduler, { callerId: ulid() });
    expect([hidden.status, unknown.status]).toEqual([404, 404]);
    expect(hidden.body.detail).not.toContain('payments');
    const runId = (await start(admin, { callerId: prodStack })).body.id;
    expect((await enter(devScheduler, runId, 'PLANNING')).status).toBe(404);
    expect((await api.call('GET', `/v1/runs/${runId}`, { key: devScheduler })).status).toBe(404);
  });

  it('answers a retried start with the same run, and refuses a run id that is taken', async () => {
    const runId = ulid();
    const first = await start(scheduler, { runId, callerId: prodStack });
    const again = await start(scheduler, { runId, callerId: prodStack });
    expect([first.status, again.status, again.body.id]).toEqual([201, 201, runId]);
    const other = await start(scheduler, { runId, callerId: prodStack, runType: 'TASK' });
    expect([other.status, other.body.code]).toEqual([409, 'CONFLICT']);
    expect((await runEvents(runId, 1)).length).toBe(1);
  });

  it('STOPs a run past its maximum lifetime and refuses phases after it', async () => {
    const runId = (await start(scheduler, { callerId: prodStack })).body.id;
    const em = api.app.get(UnitOfWork).read();
    await em
      .getConnection()
      .execute('update run set deadline = ? where id = ?', [new Date(Date.now() - 1000), runId]);
    expect(await api.app.get(RunExpiryScheduler).runOnce()).toBe(1);
    expect((await api.call<RunView>('GET', `/v1/runs/${runId}`, { key: scheduler })).body.phase).toBe(
      'STOPPED',
    );
    expect((await runEvents(runId, 2)).map((e) => e.data['phase'])).toEqual(['QUEUED', 'STOPPED']);
    const late = await enter(scheduler, runId, 'PLANNING');
    expect(late.status).toBe(409);

    const lapsed = (await start(scheduler, { callerId: prodStack })).body.id;
    await em
      .getConnection()
      .execute('update run set deadline = ? where id = ?', [new Date(Date.now() - 1000), lapsed]);
    const refused = await enter(scheduler, lapsed, 'PLANNING');
    expect([refused.status, refused.body.detail]).toEqual([
      409,
      expect.stringContaining('passed its maximum lifetime'),
    ]);
    expect((await runEvents(lapsed, 2)).map((e) => e.data['phase'])).toEqual(['QUEUED', 'STOPPED']);
  });
});
