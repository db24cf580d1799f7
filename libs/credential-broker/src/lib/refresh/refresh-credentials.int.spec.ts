import {
  CredentialsRefreshRequest,
  RunPhaseChangedEvent,
  RuntrailError,
  type Phase,
  type RunPhaseChanged,
} from '@runtrail/contracts';
import { freePort, startNatsServer, type RunningNatsServer } from '@runtrail/testing';
import { ManualClock, snapshot, startBroker, until, type BrokerHarness } from '../../spec/broker.harness';
import { RunStateStore } from '../ledger/run-state.store';

const CALLER = '01HZY1V6QK3M7W3X9T2B5C8D6A';
const INTEGRATION = '01HZY1V6QK3M7W3X9T2B5C8D6B';

let nats: RunningNatsServer;
let harness: BrokerHarness;
const clock = new ManualClock();
/** What integrations currently says of the integration's health (re-verification may flip it). */
let healthy = true;

beforeAll(async () => {
  nats = await startNatsServer();
  harness = await startBroker(
    { natsUrl: nats.url, httpPort: await freePort() },
    () => ({
      caller: { type: 'stack', id: CALLER, slug: 'network', spaceId: 'root', labels: [] },
      integrations: [
        {
          integration: snapshot(INTEGRATION, { durationSeconds: 3600, healthy }),
          attachmentId: '01HZY1V6QK3M7W3X9T2B5C8D6C',
          externalId: `acme@${INTEGRATION}@network@write`,
        },
      ],
    }),
    { clock },
  );
});

afterAll(async () => {
  await harness?.stop();
  await nats?.stop();
});

function phaseEvent(runId: string, phase: Phase, deadline: Date): RunPhaseChanged {
  return {
    runId,
    account: 'acme',
    spaceId: 'root',
    caller: { type: 'stack', id: CALLER, slug: 'network' },
    runType: 'TRACKED',
    phase,
    workerId: 'w1',
    workerPublicKey: harness.keys.publicJwk,
    at: clock.now().toISOString(),
    deadline: deadline.toISOString(),
  };
}

/** A run in APPLYING whose first credentials were delivered, ending `lifetimeSeconds` from the broker's now. */
async function deliveredRun(runId: string, lifetimeSeconds: number): Promise<Date> {
  const deadline = new Date(clock.now().getTime() + lifetimeSeconds * 1000);
  await harness.bus.publish(RunPhaseChangedEvent, phaseEvent(runId, 'APPLYING', deadline));
  await until(() => harness.issued.some((i) => i.runId === runId));
  return deadline;
}

const refresh = (runId: string) =>
  harness.bus.request(CredentialsRefreshRequest, {
    runId,
    workerId: 'w1',
    integrationId: INTEGRATION,
    workerPublicKey: harness.keys.publicJwk,
  });

const durationsOf = (runId: string) =>
  harness.sts.inputs.filter((i) => i.sessionName.startsWith(runId)).map((i) => i.durationSeconds);

describe('refresh', () => {
  it("is cut to the run's remaining lifetime, and refused once its deadline passed", async () => {
    const runId = '01DSJ63P40BAZY4VW8BXXG7M7A';
    const deadline = await deliveredRun(runId, 2400);
    clock.advance(1000_000);
    const reply = await refresh(runId);
    expect(durationsOf(runId)).toEqual([2400, 1400]);
    expect(new Date(reply.expiresAt).getTime()).toBeLessThanOrEqual(Date.now() + 1400_000);

    clock.advance(600_000);
    await expect(refresh(runId)).rejects.toMatchObject({
      code: 'RUN_NOT_ACTIVE',
      message: expect.stringContaining('shortest session'),
    });
    clock.advance(deadline.getTime() - clock.now().getTime());
    await expect(refresh(runId)).rejects.toMatchObject({
      code: 'RUN_NOT_ACTIVE',
      message: `run ${runId} reached its maximum lifetime at ${deadline.toISOString()}: it gets no more credentials`,
    });
    expect(durationsOf(runId)).toHaveLength(2);
  });

  it('is limited per run: a run asking in a loop is THROTTLED before reaching STS', async () => {
    const runId = '01DSJ63P40BAZY4VW8BXXG7M7D';
    await deliveredRun(runId, 3600);
    for (let i = 0; i < 12; i++) await refresh(runId);
    await expect(refresh(runId)).rejects.toMatchObject({
      code: 'THROTTLED',
      message: expect.stringContaining('too many requests for this run (at most 12 per 60 s)'),
    });
    expect(durationsOf(runId)).toHaveLength(13);
  });

  it('is refused once the run reached a terminal phase', async () => {
    const runId = '01DSJ63P40BAZY4VW8BXXG7M7B';
    const deadline = await deliveredRun(runId, 3600);
    await refresh(runId);
    await harness.bus.publish(RunPhaseChangedEvent, phaseEvent(runId, 'FINISHED', deadline));
    await until(async () => (await harness.app.get(RunStateStore).find(runId))?.phase === 'FINISHED');
    await expect(refresh(runId)).rejects.toMatchObject({
      code: 'RUN_NOT_ACTIVE',
      message: `run ${runId} is FINISHED: it gets no more credentials`,
    });
    expect(durationsOf(runId)).toHaveLength(2);
  });

  it('is refused once the integration failed re-verification', async () => {
    const runId = '01DSJ63P40BAZY4VW8BXXG7M7C';
    await deliveredRun(runId, 3600);
    healthy = false;
    try {
      const error = await refresh(runId).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RuntrailError);
      expect(error).toMatchObject({
        code: 'UNSAFE_TRUST_POLICY',
        message: expect.stringContaining(`POST /v1/integrations/${INTEGRATION}/verify`),
      });
    } finally {
      healthy = true;
    }
    expect(durationsOf(runId)).toHaveLength(1);
  });
});
