import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DeliveryEvent, DeliveryFailedEvent, STREAMS, workerConsumer } from '@runtrail/contracts';
import { MessageBus } from '@runtrail/messaging/client';
import { generateSealingKeyPair, seal, type SealingKeyPair } from '@runtrail/sealing';
import { startNatsServer, until, type RunningNatsServer } from '@runtrail/testing';
import { ulid } from 'ulid';
import { CredentialsNotReceived, DeliveryInbox } from './delivery-inbox';

const WORKER = 'w-1';
const later = () => new Date(Date.now() + 3_600_000).toISOString();

let nats: RunningNatsServer;
let nc: NatsConnection;
let bus: MessageBus;

beforeAll(async () => {
  nats = await startNatsServer({ setup: { workers: [WORKER] } });
  nc = await connect({ servers: nats.url });
  bus = new MessageBus(nc);
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

function deliver(runId: string, keys: SealingKeyPair): Promise<void> {
  return deliverOn(bus, runId, keys);
}

async function deliverOn(on: MessageBus, runId: string, keys: SealingKeyPair): Promise<void> {
  const sealed = await seal(
    {
      mode: 'platform',
      accessKeyId: 'ASIAINBOXSPEC0000001',
      secretAccessKey: 'inbox-spec-secret',
      sessionToken: 'inbox-spec-token',
      expiration: later(),
      assumedRoleArn: 'arn:aws:sts::222222222222:assumed-role/deploy/run',
      region: 'eu-west-1',
    },
    keys.publicJwk,
  );
  await on.publish(DeliveryEvent, {
    runId,
    workerId: WORKER,
    phase: 'PLANNING',
    scope: 'read',
    integrationId: ulid(),
    mode: 'platform',
    sealed,
    expiresAt: later(),
  });
}

/**
 * A parallel `exec` of the same worker that pulled the next message of the shared consumer and
 * holds it, unacked, for the consumer's ack wait (as one whose node died before its hand-back).
 */
async function siblingHoldsNext(): Promise<JsMsg> {
  const consumer = await jetstream(nc).consumers.get(STREAMS.DELIVERIES.name, workerConsumer(WORKER).durable);
  const msg = await consumer.next({ expires: 5_000 });
  if (!msg) throw new Error('the worker consumer had nothing to pull');
  return msg;
}

async function ackPending(): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.consumers.info(STREAMS.DELIVERIES.name, workerConsumer(WORKER).durable);
  return info.num_ack_pending;
}

describe('DeliveryInbox on a real nats-server: a run’s delivery reaches it while the shared consumer does not bring it', () => {
  it('reads its run’s delivery directly while another exec of the worker holds the consumer’s copy, and acks that copy once it comes', async () => {
    const runId = ulid();
    const keys = await generateSealingKeyPair();
    await deliver(runId, keys);
    const held = await siblingHoldsNext();
    expect(JSON.parse(held.string()).runId).toBe(runId);

    const inbox = new DeliveryInbox(nc, runId, WORKER, keys);
    await inbox.start();
    try {
      // Well within the consumer's 10 s ack wait: only the direct read can bring it.
      const got = await inbox.wait('PLANNING', undefined, 8_000);
      expect(got.plaintext).toMatchObject({ accessKeyId: 'ASIAINBOXSPEC0000001' });
      expect(held.info.deliveryCount).toBe(1);

      // The sibling hands it back: the consumer's copy comes to this inbox, which acks it and
      // does not take the run's delivery a second time.
      held.nak();
      await until(async () => (await ackPending()) === 0, { intervalMs: 100 });
      const again = await inbox.wait('PLANNING', undefined, 1_000);
      expect(again).toBe(got);
    } finally {
      await inbox.stop();
    }
  }, 30_000);

  it('reads its run’s failure notice directly as well: the wait fails with the broker’s reason', async () => {
    const runId = ulid();
    const keys = await generateSealingKeyPair();
    await bus.publish(DeliveryFailedEvent, {
      runId,
      workerId: WORKER,
      phase: 'PLANNING',
      scope: 'read',
      integrationId: null,
      code: 'NOT_FOUND',
      reason: 'no integration attached for scope read',
      failedAt: new Date().toISOString(),
    });
    const held = await siblingHoldsNext();
    const inbox = new DeliveryInbox(nc, runId, WORKER, keys);
    await inbox.start();
    try {
      await expect(inbox.wait('PLANNING', undefined, 8_000)).rejects.toThrow(
        new CredentialsNotReceived(`no credentials for run ${runId} PLANNING: NOT_FOUND: no integration attached for scope read`),
      );
    } finally {
      held.term();
      await inbox.stop();
    }
  }, 30_000);

  it('does not take another run’s delivery read from its subjects: a run reads only its own', async () => {
    const runId = ulid();
    const other = ulid();
    const keys = await generateSealingKeyPair();
    await deliver(other, keys);
    const held = await siblingHoldsNext();
    const inbox = new DeliveryInbox(nc, runId, WORKER, keys);
    await inbox.start();
    try {
      await expect(inbox.wait('PLANNING', undefined, 2_500)).rejects.toThrow(/within 2.5 s/);
    } finally {
      held.term();
      await inbox.stop();
    }
  }, 30_000);
});

describe('DeliveryInbox with a pool user of an older auth.conf (no DIRECT.GET permission)', () => {
  let older: RunningNatsServer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runtrail-inbox-'));
    const consumer = workerConsumer(WORKER).durable;
    const config = join(dir, 'nats.conf');
    writeFileSync(
      config,
      `accounts { RT { jetstream: enabled
        users: [
          { user: admin, password: admin-pass }
          { user: pool, password: pool-pass, permissions: {
              publish: { allow: ["$JS.API.INFO", "$JS.API.CONSUMER.INFO.DELIVERIES.${consumer}", "$JS.API.CONSUMER.MSG.NEXT.DELIVERIES.${consumer}", "$JS.ACK.DELIVERIES.${consumer}.>"] }
              subscribe: { allow: ["_INBOX.>"] } } }
        ] } }\n`,
    );
    older = await startNatsServer({ configFile: config, setup: { user: 'admin', pass: 'admin-pass', workers: [WORKER] } });
  });

  afterAll(async () => {
    await older?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says once that the direct read was refused, and takes its delivery from the consumer', async () => {
    const admin = await connect({ servers: older.url, user: 'admin', pass: 'admin-pass' });
    const pool = await connect({ servers: older.url, user: 'pool', pass: 'pool-pass' });
    const runId = ulid();
    const keys = await generateSealingKeyPair();
    const lines: string[] = [];
    const inbox = new DeliveryInbox(pool, runId, WORKER, keys, (line) => lines.push(line));
    try {
      await inbox.start();
      const waiting = inbox.wait('PLANNING', undefined, 10_000);
      // Long enough for a few direct reads to have been tried.
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      await deliverOn(new MessageBus(admin), runId, keys);
      await expect(waiting).resolves.toMatchObject({ delivery: { runId } });
      const refused = lines.filter((l) => l.includes("reading this run's deliveries directly is not allowed"));
      expect(refused).toHaveLength(1);
      expect(refused[0]).toContain(`$JS.API.DIRECT.GET.DELIVERIES.deliveries.v1.${WORKER}.>`);
    } finally {
      await inbox.stop();
      await pool.close();
      await admin.close();
    }
  }, 30_000);
});
