import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { bootstrapService } from '@runtrail/bootstrap';
import { loadConfig } from '@runtrail/config';
import {
  DeliveryEvent,
  ResolveIntegrationsRequest,
  RunPhaseChangedEvent,
  credentialsIssuedSchema,
  type CredentialsIssued,
} from '@runtrail/contracts';
import { MessageBus } from '@runtrail/messaging';
import { generateSealingKeyPair, seal, type SealingKeyPair } from '@runtrail/sealing';
import { freePort, startNatsServer, type RunningNatsServer } from '@runtrail/testing';
import { credentialBrokerEnv } from '../credential-broker.env';
import { CredentialBrokerModule } from '../credential-broker.module';
import { IssuanceLedger } from '../ledger/issuance.ledger';
import { StsAdapter, type AssumeRoleInput, type TemporaryCredentials } from '../sts/sts.adapter';

const RUN = '01DSJ63P40BAZY4VW8BXXG7M4K';
const CALLER = '01HZY1V6QK3M7W3X9T2B5C8D4E';
const INTEGRATION = '01HZY1V6QK3M7W3X9T2B5C8D4F';
const ROLE = 'arn:aws:iam::222222222222:role/deploy';

/** STS that hands out numbered sessions and counts calls. */
class CountingSts extends StsAdapter {
  calls = 0;
  async assumeRole(input: AssumeRoleInput): Promise<TemporaryCredentials> {
    this.calls++;
    const n = String(this.calls).padStart(4, '0');
    return {
      accessKeyId: `ASIAFAKESESSION0${n}`,
      secretAccessKey: `secret-${n}-${'x'.repeat(30)}`,
      sessionToken: `token-${n}`,
      expiration: new Date(Date.now() + 900_000),
      assumedRoleArn: `arn:aws:sts::222222222222:assumed-role/deploy/${input.sessionName}`,
    };
  }
  assumeRoleWithWebIdentity(): Promise<TemporaryCredentials> {
    throw new Error('not used');
  }
}

let nats: RunningNatsServer;
let dir: string;
let app: INestApplication;
let nc: NatsConnection;
let bus: MessageBus;
let sts: CountingSts;
let keys: SealingKeyPair;
const issued: CredentialsIssued[] = [];

beforeAll(async () => {
  nats = await startNatsServer();
  dir = mkdtempSync(join(tmpdir(), 'runtrail-broker-int-'));
  sts = new CountingSts();
  keys = await generateSealingKeyPair();
  nc = await connect({ servers: nats.url });
  bus = new MessageBus(nc);
  nc.subscribe(ResolveIntegrationsRequest.subject, {
    callback: (_e, msg) =>
      void msg.respond(
        JSON.stringify({
          ok: true,
          data: {
            caller: { type: 'stack', id: CALLER, slug: 'network', spaceId: 'root', labels: [] },
            integrations: [
              {
                integration: {
                  id: INTEGRATION,
                  account: 'acme',
                  name: 'deploy',
                  roleArn: ROLE,
                  durationSeconds: 900,
                  region: null,
                  labels: [],
                  spaceId: 'root',
                  mode: 'platform',
                  sessionTagging: false,
                  customExternalId: null,
                  healthy: true,
                  version: 1,
                },
                attachmentId: '01HZY1V6QK3M7W3X9T2B5C8D4G',
                externalId: `acme@${INTEGRATION}@network@write`,
              },
            ],
          },
        }),
      ),
  });
  nc.subscribe('credentials.v1.issued', {
    callback: (_e, msg) => void issued.push(credentialsIssuedSchema.parse(msg.json())),
  });
  const env = loadConfig(credentialBrokerEnv, {
    DATABASE_URL: `sqlite:${join(dir, 'broker.sqlite')}`,
    LOG_LEVEL: 'error',
  });
  app = await bootstrapService({
    name: 'credential-broker',
    modules: [CredentialBrokerModule.forRoot(env, { sts })],
    http: { host: '127.0.0.1', port: await freePort() },
    nats: { servers: [nats.url] },
    logLevel: 'error',
  });
});

afterAll(async () => {
  await app?.close();
  await nc?.drain();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
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

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
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
