import { spawn, spawnSync } from 'node:child_process';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { CredentialsFailedEvent, RunPhaseChangedEvent, type Phase } from '@runtrail/contracts';
import { MessageBus, retryJetStream } from '@runtrail/messaging';
import { generateSealingKeyPair, type SealingKeyPair } from '@runtrail/sealing';
import {
  DEFAULT_EMULATOR_SEED,
  freePort,
  postgresBinDir,
  startNatsCluster,
  startPostgresCluster,
  startTestEmulator,
  type AwsEmulator,
  type NatsCluster,
  type RunningPostgresCluster,
} from '@runtrail/testing';
import { ulid } from 'ulid';
import { IntegrationsResponder } from './support/integrations.responder';
import { ROOT, ServiceProcess } from './support/service.process';
import { integration, PLATFORM_KEY } from './support/stack.harness';
import { faultWindows, type Delivered, type FaultMark, type Published } from './support/fault-timeline';

/**
 * The production topology on one machine: three nats-server nodes clustered with JetStream
 * (deploy/nats/auth.conf users, streams at 3 replicas by `runtrail nats setup --replicas 3`),
 * PostgreSQL, two credential-broker replicas as processes of the build with NATS_URL listing every
 * node. While runs go through plan and apply, one NATS node, then the JetStream meta leader, then a
 * broker replica are SIGKILLed and PostgreSQL restarts. Small enough for `npm test` on 2 cores;
 * the recovery times it prints are recorded in bench/RESULTS.md (not asserted: timings are
 * measured, never tested).
 */
const RUNS_PER_SECOND = Number(process.env['CLUSTER_FAULTS_RUNS_PER_S'] ?? 4);
const WORKER = 'worker-01';
const PHASES: Phase[] = ['PLANNING', 'APPLYING'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let cluster: NatsCluster;
let postgres: RunningPostgresCluster;
let emulator: AwsEmulator;
let responder: IntegrationsResponder;
let admin: NatsConnection;
let publisher: NatsConnection;
let keys: SealingKeyPair;
const brokers: ServiceProcess[] = [];
const callerId = ulid();
const snapshot = integration('platform');

function brokerEnv(): Record<string, string> {
  return {
    NATS_URL: cluster.url,
    ...cluster.login('credential-broker'),
    DATABASE_URL: `${postgres.url}/postgres`,
    AWS_ENDPOINT_URL: emulator.endpoint,
    AWS_ACCESS_KEY_ID: PLATFORM_KEY.accessKeyId,
    AWS_SECRET_ACCESS_KEY: PLATFORM_KEY.secretAccessKey,
    AWS_REGION: 'us-east-1',
  };
}

async function startBroker(): Promise<ServiceProcess> {
  const broker = await ServiceProcess.start('credential-broker', await freePort(), brokerEnv());
  brokers.push(broker);
  return broker;
}

/** `runtrail nats setup --replicas 3` from the build, as the operator (`runtrail-admin`). */
function natsSetup(): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [`${ROOT}/dist/apps/cli/src/main.js`, 'nats', 'setup', '--replicas', '3', '--worker', WORKER],
      {
        cwd: ROOT,
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', NATS_URL: cluster.url, ...cluster.login('runtrail-admin') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

function login(user: string) {
  const { NATS_USER, NATS_PASSWORD } = cluster.login(user);
  return { user: NATS_USER, pass: NATS_PASSWORD, inboxPrefix: `_INBOX_${user}` };
}

const describeWithPostgres = postgresBinDir() ? describe : describe.skip;

describeWithPostgres('a NATS cluster under faults', () => {
  beforeAll(async () => {
    const build = spawnSync(process.execPath, ['tools/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
    [cluster, postgres, emulator, keys] = await Promise.all([
      startNatsCluster(),
      startPostgresCluster(),
      startTestEmulator({ seed: DEFAULT_EMULATOR_SEED }),
      generateSealingKeyPair(),
    ]);
    const servers = cluster.url.split(',');
    const reconnect = { maxReconnectAttempts: -1, reconnectTimeWait: 250 };
    admin = await connect({ servers, name: 'faults-operator', ...login('runtrail-admin'), ...reconnect });
    publisher = await connect({ servers, name: 'faults-integrations', ...login('integrations'), ...reconnect });
    responder = new IntegrationsResponder(await connect({ servers, name: 'faults-responder', ...login('integrations'), ...reconnect }));
    responder.register(callerId, {
      slug: 'network',
      type: 'stack',
      attachments: [{ integration: snapshot, attachmentId: ulid(), read: true, write: true }],
    });
    responder.start();
  }, 120_000);

  afterAll(async () => {
    for (const broker of brokers) await broker.stop();
    responder?.stop();
    for (const nc of [responder?.nc, publisher, admin]) await nc?.drain().catch(() => undefined);
    await emulator?.stop();
    await postgres?.stop();
    await cluster?.stop();
  });

  it('starts a broker before the setup step: it waits for the streams instead of crashing', async () => {
    // Started first, set up second: the order an operator's deploy does not guarantee.
    const [broker, setup] = await Promise.all([startBroker(), connected('credential-broker').then(() => sleep(1_000)).then(natsSetup)]);
    expect(setup.code).toBe(0);
    expect(setup.out).toMatch(/stream RUNS: (created|updated) \(3 replicas\)/);
    expect(broker.text).toMatch(/stream \w+ missing: run `runtrail nats setup`; retrying until it exists/);
    const jsm = await jetstreamManager(admin);
    for (const stream of ['RUNS', 'DELIVERIES', 'CREDENTIALS'])
      expect((await jsm.streams.info(stream)).config.num_replicas).toBe(3);
    await startBroker();
  }, 90_000);

  it('gets every run exactly one delivery per integration and phase while a node, the meta leader, a broker and PostgreSQL fail', async () => {
    const bus = new MessageBus(publisher);
    const published: Published[] = [];
    const failedToPublish: string[] = [];
    const faults: FaultMark[] = [];

    const driveRun = async (runId: string) => {
      for (const phase of PHASES) {
        const at = Date.now();
        try {
          // The runs API's relay retries the same way: the Nats-Msg-Id makes a repeat a no-op.
          await retryJetStream(
            () =>
              bus.publish(RunPhaseChangedEvent, {
                runId,
                account: 'acme',
                spaceId: 'root',
                caller: { type: 'stack', id: callerId, slug: 'network' },
                runType: 'TRACKED',
                phase,
                workerId: WORKER,
                workerPublicKey: keys.publicJwk,
                at: new Date(at).toISOString(),
              }),
            { what: `publish ${runId} ${phase}`, budgetMs: 60_000 },
          );
          published.push({ runId, phase, at });
        } catch (error) {
          failedToPublish.push(`${runId} ${phase}: ${(error as Error).message}`);
          return;
        }
        // As `runtrail exec` does: the run moves to APPLYING once its plan had its credentials.
        if (!(await deliveredPhase(runId, phase, 90_000))) return;
      }
    };

    let running = true;
    const launched: Array<Promise<void>> = [];
    const launcher = (async () => {
      while (running) {
        launched.push(driveRun(ulid()));
        await sleep(1000 / RUNS_PER_SECOND);
      }
    })();
    const fault = async (name: string, act: () => Promise<void>) => {
      faults.push({ name, at: Date.now() });
      await act();
    };

    await sleep(8_000);
    const leader = await cluster.metaLeader();
    const follower = cluster.nodes.find((n) => n.name !== leader.name)!;
    await fault(`SIGKILL NATS node ${follower.name} (not the meta leader)`, () => cluster.kill(follower));
    await sleep(8_000);
    await cluster.start(follower);
    await cluster.waitHealthy();
    await sleep(6_000);

    const metaLeader = await cluster.metaLeader();
    await fault(`SIGKILL the JetStream meta leader ${metaLeader.name}`, () => cluster.kill(metaLeader));
    await sleep(8_000);
    await cluster.start(metaLeader);
    await cluster.waitHealthy();
    await sleep(6_000);

    const [victim, survivor] = brokers;
    await fault('SIGKILL a credential-broker replica', () => victim!.kill());
    await sleep(5_000);
    await startBroker();
    await sleep(6_000);

    await fault('restart PostgreSQL (immediate stop, 3 s down)', () => postgres.restart(3_000));
    await sleep(10_000);

    running = false;
    await launcher;
    await Promise.all(launched);
    expect(failedToPublish).toEqual([]);
    const runs = new Set(published.map((p) => p.runId));

    const delivered = await retryJetStream(() => waitForDeliveries(published.length, 60_000), { what: 'reading deliveries', budgetMs: 30_000 });
    // Exactly one delivery per run, integration and phase: no loss, no duplicate.
    const perKey = new Map<string, number>();
    for (const d of delivered) perKey.set(`${d.runId}:${d.phase}:${d.integrationId}`, (perKey.get(`${d.runId}:${d.phase}:${d.integrationId}`) ?? 0) + 1);
    const expected = published.map((p) => `${p.runId}:${p.phase}:${snapshot.id}`);
    const wrong = published.filter((p) => perKey.get(`${p.runId}:${p.phase}:${snapshot.id}`) !== 1);
    if (wrong.length) {
      const when = (at: number) => faults.map((f) => `${f.name.split(' ').slice(0, 3).join(' ')} ${((at - f.at) / 1000).toFixed(1)} s`).join(', ');
      console.log(
        [
          `${wrong.length} phases without exactly one delivery:`,
          ...wrong.slice(0, 20).map((p) => `${p.runId} ${p.phase} x${perKey.get(`${p.runId}:${p.phase}:${snapshot.id}`) ?? 0}, published at ${when(p.at)}`),
          'broker lines:',
          ...brokers.flatMap((b) => b.text.split('\n').filter((l) => /dead-letter|failed|retrying|error|WARN|ERROR/i.test(l)).slice(-15)),
        ].join('\n'),
      );
    }
    expect(wrong.map((p) => `${p.runId} ${p.phase}`)).toEqual([]);
    expect(perKey.size).toBe(expected.length);
    expect(await retryJetStream(() => failures(runs), { what: 'reading failures', budgetMs: 30_000 })).toEqual([]);

    // Every replica still running recovered on its own: ready, and the survivor kept delivering.
    for (const broker of brokers.filter((b) => b !== victim)) {
      const ready = await fetch(`http://127.0.0.1:${broker.port}/health/ready`).then((r) => r.json() as Promise<{ status: string }>);
      expect(ready.status).toBe('ready');
    }
    const lastFault = faults.at(-1)!.at;
    expect(delivered.some((d) => d.at > lastFault + 1_000)).toBe(true);
    expect(survivor!.child.exitCode).toBeNull();

    const report = faultWindows(published, delivered, faults);
    console.log(
      [
        `cluster faults: ${runs.size} runs, ${published.length} phases delivered once each, ${RUNS_PER_SECOND} runs/s, 3 NATS nodes, 2 brokers, PostgreSQL`,
        `baseline publish->delivery: p50 ${report.baseline.p50} ms, max ${report.baseline.max} ms`,
        ...report.faults.map(
          (f) =>
            `${f.name}: longest delivery gap ${f.longestGapMs} ms; runs published around it (-2 s..+2 s) waited up to ${f.maxLatencyMs} ms (${f.runs} phases)`,
        ),
      ].join('\n'),
    );
  }, 300_000);
});

/** Resolves once a client named `<name>@...` is connected to a node (`/connz` of each). */
async function connected(name: string): Promise<void> {
  for (;;) {
    for (const node of cluster.nodes.filter((n) => n.running())) {
      const connz = await fetch(`http://127.0.0.1:${node.httpPort}/connz`).then(
        (r) => r.json() as Promise<{ connections?: Array<{ name?: string }> }>,
        () => ({ connections: [] }),
      );
      if (connz.connections?.some((c) => c.name?.startsWith(`${name}@`))) return;
    }
    await sleep(100);
  }
}

/** Whether the run's latest delivery to WORKER (direct get, last by subject) is for `phase`, waiting up to `timeoutMs`. */
async function deliveredPhase(runId: string, phase: Phase, timeoutMs: number): Promise<boolean> {
  // No API check: it would fail, not wait, while the cluster elects (the lookups below are retried).
  const jsm = await jetstreamManager(admin, { checkAPI: false });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const last = await jsm.streams
      .getMessage('DELIVERIES', { last_by_subj: `deliveries.v1.${WORKER}.${runId}` })
      .then((m) => m?.json<{ phase: Phase }>().phase, () => undefined);
    if (last === phase) return true;
    await sleep(500);
  }
  return false;
}

/** Every delivery to WORKER in DELIVERIES, with when JetStream stored it. */
async function readDeliveries(): Promise<Delivered[]> {
  const consumer = await jetstream(admin).consumers.get('DELIVERIES', { filter_subjects: `deliveries.v1.${WORKER}.>` });
  const pending = (await consumer.info()).num_pending;
  const out: Delivered[] = [];
  while (out.length < pending) {
    const batch = await consumer.fetch({ max_messages: Math.min(500, pending - out.length), expires: 5_000 });
    for await (const m of batch) {
      const d = m.json<{ runId: string; phase: Phase; integrationId: string }>();
      out.push({ runId: d.runId, phase: d.phase, integrationId: d.integrationId, at: Math.round(m.info.timestampNanos / 1e6) });
    }
  }
  return out;
}

async function waitForDeliveries(expected: number, timeoutMs: number): Promise<Delivered[]> {
  const jsm = await jetstreamManager(admin);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await jsm.streams.info('DELIVERIES', { subjects_filter: `deliveries.v1.${WORKER}.>` });
    const count = Object.values(info.state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
    if (count >= expected) break;
    if (Date.now() > deadline) break; // the assertions below say which are missing
    await sleep(500);
  }
  // A redelivery of work a killed replica held would show up now, if it were not deduplicated.
  await sleep(3_000);
  return readDeliveries();
}

async function failures(runs: Set<string>): Promise<string[]> {
  const consumer = await jetstream(admin).consumers.get('CREDENTIALS', { filter_subjects: CredentialsFailedEvent.name });
  const pending = (await consumer.info()).num_pending;
  const out: string[] = [];
  let read = 0;
  while (read < pending) {
    const batch = await consumer.fetch({ max_messages: Math.min(500, pending - read), expires: 5_000 });
    for await (const m of batch) {
      read += 1;
      const f = m.json<{ runId: string; code: string; reason: string }>();
      if (runs.has(f.runId)) out.push(`${f.runId}: ${f.code}: ${f.reason}`);
    }
  }
  return out;
}
