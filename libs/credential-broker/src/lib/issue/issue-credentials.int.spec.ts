import type { INestApplication } from '@nestjs/common';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { DeliveryEvent, RunPhaseChangedEvent, type CredentialsIssued } from '@runtrail/contracts';
import type { MessageBus } from '@runtrail/messaging';
import { seal, type SealingKeyPair } from '@runtrail/sealing';
import { freePort, startNatsServer, type RunningNatsServer } from '@runtrail/testing';
import {
  openedDeliveries,
  snapshot,
  startBroker,
  until,
  type BrokerHarness,
  type CountingSts,
} from '../../spec/broker.harness';
import { IssuanceLedger } from '../ledger/issuance.ledger';

const RUN = '01DSJ63P40BAZY4VW8BXXG7M4K';
const CALLER = '01HZY1V6QK3M7W3X9T2B5C8D4E';
const INTEGRATION = '01HZY1V6QK3M7W3X9T2B5C8D4F';
const ROLE = 'arn:aws:iam::222222222222:role/deploy';
/** A caller whose integrations (platform and worker mode) have not opted in to SourceIdentity. */
const OPTED_OUT = '01HZY1V6QK3M7W3X9T2B5C8D4H';
const OPTED_OUT_INTEGRATIONS = ['01HZY1V6QK3M7W3X9T2B5C8D4J', '01HZY1V6QK3M7W3X9T2B5C8D4K'];

/** As integrations sent a snapshot before SourceIdentity was opt-in: no such field. */
const { sourceIdentity: _absent, ...LEGACY_SNAPSHOT } = snapshot(INTEGRATION, { roleArn: ROLE });

/** integrations' answer for {@link OPTED_OUT}: SourceIdentity off, as new integrations are by default. */
function optedOutReply() {
  const integration = (id: string, mode: 'platform' | 'worker') => ({
    integration: snapshot(id, { name: `deploy-${mode}`, roleArn: ROLE, mode, sourceIdentity: false }),
    attachmentId: ulidLike(id),
    externalId: `acme@${id}@no-source-identity@write`,
  });
  return {
    caller: { type: 'module', id: OPTED_OUT, slug: 'no-source-identity', spaceId: 'root', labels: [] },
    integrations: [
      integration(OPTED_OUT_INTEGRATIONS[0]!, 'platform'),
      integration(OPTED_OUT_INTEGRATIONS[1]!, 'worker'),
    ],
  };
}

/** Another valid ULID for an attachment id. */
const ulidLike = (id: string) => `${id.slice(0, -1)}Z`;

let nats: RunningNatsServer;
let harness: BrokerHarness;
let app: INestApplication;
let nc: NatsConnection;
let bus: MessageBus;
let sts: CountingSts;
let keys: SealingKeyPair;
let issued: CredentialsIssued[];

beforeAll(async () => {
  nats = await startNatsServer();
  harness = await startBroker({ natsUrl: nats.url, httpPort: await freePort() }, (request) =>
    request.callerId === OPTED_OUT
      ? optedOutReply()
      : {
          caller: { type: 'stack', id: CALLER, slug: 'network', spaceId: 'root', labels: [] },
          integrations: [
            {
              integration: LEGACY_SNAPSHOT,
              attachmentId: '01HZY1V6QK3M7W3X9T2B5C8D4G',
              externalId: `acme@${INTEGRATION}@network@write`,
            },
          ],
        },
  );
  ({ app, nc, bus, sts, keys, issued } = harness);
});

afterAll(async () => {
  await harness?.stop();
  await nats?.stop();
});

const event = (runId: string, at = new Date()) => ({
  runId,
  account: 'acme',
  spaceId: 'root',
  caller: { type: 'stack' as const, id: CALLER, slug: 'network' },
  runType: 'TRACKED' as const,
  phase: 'APPLYING' as const,
  workerId: 'w1',
  workerPublicKey: keys.publicJwk,
  at: at.toISOString(),
});

async function deliveries(runId: string): Promise<number> {
  const info = await (
    await jetstream(nc).jetstreamManager()
  ).streams.info('DELIVERIES', { subjects_filter: `deliveries.v1.w1.${runId}` });
  return info.state.subjects?.[`deliveries.v1.w1.${runId}`] ?? 0;
}

/** What a replica killed after STS answered leaves behind: a claim, expired, with the session's key id. */
async function deadReplicaAssumed(runId: string, accessKeyId: string): Promise<void> {
  const ledger = app.get(IssuanceLedger);
  const past = new Date(Date.now() - 60_000);
  const claim = await ledger.claim({
    runId,
    phase: 'APPLYING',
    integrationId: INTEGRATION,
    mode: 'platform',
    sessionName: 's',
    now: past,
    leaseMs: 1000,
  });
  if (claim.kind !== 'fresh') throw new Error(claim.kind);
  await ledger.recordAssumed(
    { runId, phase: 'APPLYING', integrationId: INTEGRATION },
    claim.claimToken,
    accessKeyId,
    new Date(Date.now() + 840_000),
    past,
  );
}

describe('issuing idempotently (ledger + Nats-Msg-Id)', () => {
  it('does not assume again for a redelivered or re-published run event', async () => {
    await bus.publish(RunPhaseChangedEvent, event(RUN));
    await until(() => issued.some((e) => e.runId === RUN));
    const calls = sts.calls;
    // A scheduler re-sending the phase after the stream's duplicate window looks like a new message.
    await jetstream(nc).publish(`runs.v1.phase.${RUN}`, JSON.stringify(event(RUN)), {
      msgID: 'resent-after-window',
    });
    await new Promise((r) => setTimeout(r, 1000));
    expect(sts.calls).toBe(calls);
    expect(await deliveries(RUN)).toBe(1);
  });

  it('recovers a replica that died after STS answered but before publishing: one delivery, of a new session', async () => {
    const runId = '01DSJ63P40BAZY4VW8BXXG7M4M';
    await deadReplicaAssumed(runId, 'ASIADEADREPLICA00001');
    await bus.publish(RunPhaseChangedEvent, event(runId));
    await until(() => issued.some((e) => e.runId === runId));
    expect(await deliveries(runId)).toBe(1);
    expect(issued.find((e) => e.runId === runId)?.accessKeyId).toMatch(/^ASIAFAKESESSION0/);
  });

  it('recovers a replica that died after publishing: the first delivery stands, no second one, the ledger keeps its key id', async () => {
    const runId = '01DSJ63P40BAZY4VW8BXXG7M4N';
    await deadReplicaAssumed(runId, 'ASIADEADREPLICA00002');
    await bus.publish(DeliveryEvent, {
      runId,
      workerId: 'w1',
      phase: 'APPLYING',
      scope: 'write',
      integrationId: INTEGRATION,
      mode: 'platform',
      sealed: await seal({}, keys.publicJwk),
      expiresAt: new Date().toISOString(),
    });
    await bus.publish(RunPhaseChangedEvent, event(runId));
    await until(() => issued.some((e) => e.runId === runId));
    expect(await deliveries(runId)).toBe(1);
    expect(issued.find((e) => e.runId === runId)?.accessKeyId).toBe('ASIADEADREPLICA00002');
    const row = await app.get(IssuanceLedger).find({ runId, phase: 'APPLYING', integrationId: INTEGRATION });
    expect(row).toMatchObject({ state: 'delivered', accessKeyId: 'ASIADEADREPLICA00002' });
  });
});

describe('SourceIdentity, opt-in per integration', () => {
  it('is sent, and announced, for an integration from before the opt-in (its snapshot has no such field)', async () => {
    const runId = '01DSJ63P40BAZY4VW8BXXG7M4P';
    await bus.publish(RunPhaseChangedEvent, event(runId));
    await until(() => issued.some((e) => e.runId === runId));
    expect(sts.inputs.find((i) => i.sessionName.startsWith(runId))).toMatchObject({
      sessionName: `${runId}@network@acme`,
      sourceIdentity: runId,
    });
    expect(issued.find((e) => e.runId === runId)?.sourceIdentity).toBe(runId);
  });

  it('is left out of AssumeRole, the worker parameters and credentials.v1.issued where the integration has it off', async () => {
    const runId = '01DSJ63P40BAZY4VW8BXXG7M4Q';
    await bus.publish(RunPhaseChangedEvent, {
      ...event(runId),
      caller: { type: 'module', id: OPTED_OUT, slug: 'no-source-identity' },
      spaceId: 'platform-01HZY1V6QK3M7W3X9T2B5C8D4M',
      runType: 'PROPOSED',
      phase: 'PLANNING',
    });
    await until(() => issued.filter((e) => e.runId === runId).length === 2);
    const input = sts.inputs.find((i) => i.sessionName.startsWith(runId));
    expect(input?.sessionName).toBe(`${runId}@no-source-identity@acme`);
    expect(input).not.toHaveProperty('sourceIdentity', expect.anything());
    expect(issued.filter((e) => e.runId === runId).map((e) => [e.mode, e.sourceIdentity])).toEqual(
      expect.arrayContaining([
        ['platform', null],
        ['worker', null],
      ]),
    );
    const opened = await openedDeliveries(harness, runId);
    expect(opened).toHaveLength(2);
    const worker = opened.find((o) => o.plaintext.mode === 'worker')?.plaintext;
    expect(worker).toMatchObject({ sessionName: `${runId}@no-source-identity@acme` });
    expect(worker).not.toHaveProperty('sourceIdentity');
    // Each delivery tells the worker the run's context, for the command's RUNTRAIL_* variables.
    for (const { delivery } of opened) {
      expect(delivery).toMatchObject({
        caller: { type: 'module', slug: 'no-source-identity' },
        spaceId: 'platform-01HZY1V6QK3M7W3X9T2B5C8D4M',
        runType: 'PROPOSED',
      });
    }
  });
});
