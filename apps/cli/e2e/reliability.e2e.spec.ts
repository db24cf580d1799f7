import { spawnSync } from 'node:child_process';
import { jetstream } from '@nats-io/jetstream';
import {
  CredentialsFailedEvent,
  RunPhaseChangedEvent,
  deadLetterSchema,
  deadLetterSubject,
  type DeadLetter,
} from '@runtrail/contracts';
import { generateSealingKeyPair, type SealingKeyPair } from '@runtrail/sealing';
import { createTestDatabase, testPostgresUrl, type TestDatabase } from '@runtrail/testing';
import { ulid } from 'ulid';
import { E2eStack } from './support/stack.harness';
import { ROOT } from './support/service.process';

// Two broker replicas (processes of the build) sharing one durable consumer and one database.
let stack: E2eStack;
let database: TestDatabase | undefined;
let keys: SealingKeyPair;
let callerId: string;

beforeAll(async () => {
  const build = spawnSync(process.execPath, ['tools/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  // PostgreSQL when the test run has it (production's database for several replicas), else one SQLite file.
  database = testPostgresUrl() ? await createTestDatabase('broker_reliability') : undefined;
  // integrations answered at its contract (the responder): this suite tests the broker's own crash,
  // replica and dead-letter behaviour; exec.e2e.spec.ts runs the real integrations service and verifier.
  stack = await E2eStack.start({ brokers: 2, brokerDatabaseUrl: database?.url });
  keys = await generateSealingKeyPair();
  callerId = stack.caller(['platform']).callerId;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await database?.drop();
});

/** Run events as the integrations service's user, the only one that may publish them (the runs API's stand-in). */
async function publishRuns(workerId: string, count: number): Promise<string[]> {
  const bus = await stack.busAs('integrations');
  const runIds = Array.from({ length: count }, () => ulid());
  for (let i = 0; i < runIds.length; i += 50) {
    await Promise.all(
      runIds.slice(i, i + 50).map((runId) =>
        bus.publish(RunPhaseChangedEvent, {
          runId,
          account: 'acme',
          spaceId: 'root',
          caller: { type: 'stack', id: callerId, slug: 'network' },
          runType: 'TRACKED',
          phase: 'APPLYING',
          workerId,
          workerPublicKey: keys.publicJwk,
          at: new Date().toISOString(),
        }),
      ),
    );
  }
  return runIds;
}

async function deliveryCount(workerId: string): Promise<number> {
  const info = await (
    await jetstream(stack.nc).jetstreamManager()
  ).streams.info('DELIVERIES', { subjects_filter: `deliveries.v1.${workerId}.>` });
  return Object.values(info.state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
}

async function waitForDeliveries(workerId: string, expected: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await deliveryCount(workerId)) < expected) {
    if (Date.now() > deadline)
      throw new Error(
        `only ${await deliveryCount(workerId)} of ${expected} deliveries after ${timeoutMs} ms`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Deliveries per run: exactly one each is the promise. */
async function deliveriesPerRun(workerId: string): Promise<Map<string, number>> {
  const perRun = new Map<string, number>();
  for (const m of await stack.streamMessages('DELIVERIES', `deliveries.v1.${workerId}.>`)) {
    const runId = m.subject.split('.').at(-1) ?? '';
    perRun.set(runId, (perRun.get(runId) ?? 0) + 1);
  }
  return perRun;
}

async function failuresFor(runIds: string[]): Promise<unknown[]> {
  const ids = new Set(runIds);
  return (await stack.streamMessages('CREDENTIALS', CredentialsFailedEvent.name))
    .map((m) => JSON.parse(m.data) as { runId: string })
    .filter((f) => ids.has(f.runId));
}

describe('credential-broker reliability', () => {
  it('delivers exactly once per run when one of two replicas is SIGKILLed mid-stream of 500 run events', async () => {
    const workerId = 'worker-kill';
    const publishing = publishRuns(workerId, 500);
    const [victim, survivor] = stack.brokers;
    // Kill one while both are working: after the first deliveries of each, well before the last.
    const delivered = (b: typeof victim) => (b!.text.match(/: delivered platform credentials/g) ?? []).length;
    const deadline = Date.now() + 30_000;
    while ((delivered(victim) < 20 || delivered(survivor) < 20) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    await victim!.kill();
    expect(delivered(victim)).toBeGreaterThanOrEqual(20);
    expect(await deliveryCount(workerId)).toBeLessThan(400);
    await publishing;
    await waitForDeliveries(workerId, 500, 90_000);
    // Redeliveries of what the killed replica held must not add a second delivery.
    await new Promise((r) => setTimeout(r, 2_000));

    const perRun = await deliveriesPerRun(workerId);
    expect(perRun.size).toBe(500);
    expect([...perRun.values()].every((n) => n === 1)).toBe(true);
    expect(await failuresFor([...perRun.keys()])).toEqual([]);
    expect(delivered(survivor)).toBeGreaterThan(100);
    // Back to two replicas for the next tests.
    await stack.startBroker();
  }, 150_000);

  it('gets every run its credentials while STS throttles 30% of AssumeRole calls', async () => {
    const workerId = 'worker-throttle';
    stack.emulator.resetRequestCounts();
    stack.emulator.setFaults([{ action: 'AssumeRole', rate: 0.3, kind: 'throttle' }]);
    try {
      const runIds = await publishRuns(workerId, 100);
      await waitForDeliveries(workerId, 100, 60_000);
      const perRun = await deliveriesPerRun(workerId);
      expect(runIds.every((id) => perRun.get(id) === 1)).toBe(true);
      expect(await failuresFor(runIds)).toEqual([]);
      // Throttled calls were retried: more AssumeRole requests than runs.
      const assumeCalls = stack.emulator
        .requestCounts({ action: 'AssumeRole' })
        .reduce((sum, c) => sum + c.count, 0);
      expect(assumeCalls).toBeGreaterThan(110);
    } finally {
      stack.emulator.setFaults([]);
    }
  }, 90_000);

  it('dead-letters a malformed run event with the reason', async () => {
    const letters: DeadLetter[] = [];
    const sub = stack.nc.subscribe(deadLetterSubject('RUNS', 'credential-broker'), {
      callback: (_e, msg) => void letters.push(deadLetterSchema.parse(msg.json())),
    });
    await jetstream(await stack.connectAs('integrations')).publish(
      'runs.v1.phase.not-a-run',
      JSON.stringify({ runId: 'not-a-ulid', phase: 'APPLYING' }),
    );
    const deadline = Date.now() + 15_000;
    while (letters.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    sub.unsubscribe();

    expect(letters[0]).toMatchObject({
      stream: 'RUNS',
      consumer: 'credential-broker',
      subject: 'runs.v1.phase.not-a-run',
      code: 'VALIDATION_FAILED',
    });
    expect(letters[0]!.reason).toContain('runId');
  });
});
