import { RunPhaseChangedEvent, type RunPhaseChanged } from '@runtrail/contracts';
import { freePort, startNatsServer, type RunningNatsServer } from '@runtrail/testing';
import {
  openedDeliveries,
  snapshot,
  startBroker,
  until,
  type BrokerHarness,
} from '../../spec/broker.harness';

/** A caller with a healthy and an unhealthy integration attached. */
const MIXED = '01HZY1V6QK3M7W3X9T2B5C8D5A';
const HEALTHY = '01HZY1V6QK3M7W3X9T2B5C8D5B';
const UNHEALTHY = '01HZY1V6QK3M7W3X9T2B5C8D5C';
const UNSAFE_ROLE = 'arn:aws:iam::333333333333:role/unsafe';
/** A caller with one-hour integrations in every mode. */
const LONG = '01HZY1V6QK3M7W3X9T2B5C8D5D';
const [PLATFORM, OIDC, WORKER] = [
  '01HZY1V6QK3M7W3X9T2B5C8D5E',
  '01HZY1V6QK3M7W3X9T2B5C8D5F',
  '01HZY1V6QK3M7W3X9T2B5C8D5G',
];

const attached = (integration: ReturnType<typeof snapshot>, slug: string) => ({
  integration,
  attachmentId: `${integration.id.slice(0, -1)}Z`,
  externalId: `acme@${integration.id}@${slug}@write`,
});

let nats: RunningNatsServer;
let harness: BrokerHarness;

beforeAll(async () => {
  nats = await startNatsServer();
  harness = await startBroker({ natsUrl: nats.url, httpPort: await freePort() }, (request) =>
    request.callerId === MIXED
      ? {
          caller: { type: 'stack', id: MIXED, slug: 'mixed', spaceId: 'root', labels: [] },
          integrations: [
            attached(snapshot(HEALTHY), 'mixed'),
            attached(snapshot(UNHEALTHY, { name: 'unsafe', roleArn: UNSAFE_ROLE, healthy: false }), 'mixed'),
          ],
        }
      : {
          caller: { type: 'stack', id: LONG, slug: 'long', spaceId: 'root', labels: [] },
          integrations: [
            attached(snapshot(PLATFORM, { durationSeconds: 3600 }), 'long'),
            attached(snapshot(OIDC, { durationSeconds: 3600, mode: 'oidc' }), 'long'),
            attached(snapshot(WORKER, { durationSeconds: 3600, mode: 'worker' }), 'long'),
          ],
        },
  );
});

afterAll(async () => {
  await harness?.stop();
  await nats?.stop();
});

const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();

function applying(runId: string, callerId: string, deadline?: string): RunPhaseChanged {
  return {
    runId,
    account: 'acme',
    spaceId: 'root',
    caller: { type: 'stack', id: callerId, slug: callerId === MIXED ? 'mixed' : 'long' },
    runType: 'TRACKED',
    phase: 'APPLYING',
    workerId: 'w1',
    workerPublicKey: harness.keys.publicJwk,
    at: new Date().toISOString(),
    ...(deadline ? { deadline } : {}),
  };
}

const stsCallsOf = (runId: string) =>
  [...harness.sts.inputs, ...harness.sts.webIdentityInputs].filter((i) => i.sessionName.startsWith(runId));

describe('an integration that failed re-verification', () => {
  it('gets no STS call and a failure that says why and what to do; the healthy one is still issued', async () => {
    const runId = '01DSJ63P40BAZY4VW8BXXG7M6A';
    await harness.bus.publish(RunPhaseChangedEvent, applying(runId, MIXED));
    await until(
      () => harness.failed.some((f) => f.runId === runId) && harness.issued.some((i) => i.runId === runId),
    );
    expect(harness.failed.filter((f) => f.runId === runId)).toEqual([
      expect.objectContaining({
        integrationId: UNHEALTHY,
        roleArn: UNSAFE_ROLE,
        code: 'UNSAFE_TRUST_POLICY',
        reason: expect.stringMatching(
          new RegExp(
            `^integration unsafe \\(${UNHEALTHY}\\) failed re-verification: .*POST /v1/integrations/${UNHEALTHY}/verify$`,
          ),
        ),
      }),
    ]);
    expect(harness.issued.filter((i) => i.runId === runId).map((i) => i.integrationId)).toEqual([HEALTHY]);
    expect(stsCallsOf(runId).map((i) => i.roleArn)).not.toContain(UNSAFE_ROLE);
  });
});

describe("the run's maximum lifetime", () => {
  it('cuts every session, and the OIDC token, to what remains of the run', async () => {
    const runId = '01DSJ63P40BAZY4VW8BXXG7M6B';
    await harness.bus.publish(RunPhaseChangedEvent, applying(runId, LONG, inSeconds(1200)));
    await until(() => harness.issued.filter((i) => i.runId === runId).length === 3);
    const calls = stsCallsOf(runId);
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call.durationSeconds).toBeLessThanOrEqual(1200);
      expect(call.durationSeconds).toBeGreaterThan(1100);
    }
    const token = harness.tokenRequests.find((t) => t.runId === runId);
    expect(token?.lifetimeSeconds).toBe(
      harness.sts.webIdentityInputs.find((i) => i.sessionName.startsWith(runId))?.durationSeconds,
    );
    const worker = (await openedDeliveries(harness, runId)).find(
      (d) => d.plaintext.mode === 'worker',
    )?.plaintext;
    expect(worker).toMatchObject({ durationSeconds: expect.any(Number) });
    expect(worker?.mode === 'worker' && worker.durationSeconds).toBeLessThanOrEqual(1200);
    for (const issued of harness.issued.filter((i) => i.runId === runId)) {
      expect(new Date(issued.expiresAt).getTime()).toBeLessThanOrEqual(Date.parse(inSeconds(1200)));
    }
  });

  it("gives the OIDC token the integration's duration, not the issuer's default, for a run without a deadline", async () => {
    const runId = '01DSJ63P40BAZY4VW8BXXG7M6C';
    await harness.bus.publish(RunPhaseChangedEvent, applying(runId, LONG));
    await until(() => harness.issued.filter((i) => i.runId === runId).length === 3);
    expect(harness.tokenRequests.find((t) => t.runId === runId)?.lifetimeSeconds).toBe(3600);
    expect(stsCallsOf(runId).map((i) => i.durationSeconds)).toEqual([3600, 3600]);
  });

  it.each([
    ['after the deadline', -1, /reached its maximum lifetime/],
    ["less than STS's shortest session before it", 600, /less than STS's shortest session \(900 s\)/],
  ])('refuses to issue %s, without calling STS', async (_when, seconds, reason) => {
    const runId = seconds < 0 ? '01DSJ63P40BAZY4VW8BXXG7M6D' : '01DSJ63P40BAZY4VW8BXXG7M6E';
    await harness.bus.publish(RunPhaseChangedEvent, applying(runId, LONG, inSeconds(seconds)));
    await until(() => harness.failed.filter((f) => f.runId === runId).length === 3);
    for (const failure of harness.failed.filter((f) => f.runId === runId)) {
      expect(failure).toMatchObject({ code: 'RUN_NOT_ACTIVE', reason: expect.stringMatching(reason) });
    }
    expect(stsCallsOf(runId)).toEqual([]);
    expect(harness.tokenRequests.filter((t) => t.runId === runId)).toEqual([]);
    expect(await openedDeliveries(harness, runId)).toEqual([]);
  });
});
