import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  AuthenticateApiKeyRequest,
  CredentialsFailedEvent,
  FindingRaisedEvent,
  RunPhaseChangedEvent,
  type Phase,
  type TrailSourceView,
} from '@runtrail/contracts';
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
import { Client } from 'pg';
import { ulid } from 'ulid';
import { IntegrationsResponder } from './support/integrations.responder';
import { ROOT, ServiceProcess } from './support/service.process';
import { CUSTOMER, CUSTOMER_ADMIN, DEMO_ROLE, integration, PLATFORM_ACCOUNT, PLATFORM_KEY } from './support/stack.harness';
import { faultWindows, nodeOutage, type Delivered, type FaultMark, type Published } from './support/fault-timeline';

/**
 * The production topology on one machine: three nats-server nodes clustered with JetStream
 * (deploy/nats/auth.conf users, streams at 3 replicas by `runtrail nats setup --replicas 3`),
 * PostgreSQL, two credential-broker and two audit replicas as processes of the build with NATS_URL
 * listing every node (audit reads the customer account's CloudTrail through a trail source on the
 * seeded reader role, registered through its REST API). While runs go through plan and apply, one
 * NATS node, then the JetStream meta leader, then a broker replica, then the audit replica holding
 * the poller lease are SIGKILLed and PostgreSQL restarts; afterwards every CloudTrail event is
 * stored once and no finding is raised twice. Small enough for `npm test` on 2 cores;
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
const audits: ServiceProcess[] = [];
/** Whether runs are still being started (cleared by afterAll too, should the fault sequence throw). */
let running = false;
let trailSource: TrailSourceView;
/**
 * acme's account-wide admin key, as integrations would answer `integrations.v1.authenticate` for it
 * (trail sources need one; libs/audit/README.md). Only its id and secret hash travel on NATS.
 */
const ADMIN_KEY_ID = ulid();
const ADMIN_SECRET = 's'.repeat(43);
const ADMIN_KEY = `rtk.${ADMIN_KEY_ID}.${ADMIN_SECRET}`;
const ADMIN_SECRET_SHA256 = createHash('sha256').update(ADMIN_SECRET).digest('hex');
/** The audit replicas' lease TTL (the minimum): a killed holder's lease is free again after it. */
const AUDIT_LEASE_TTL_MS = '3000';
const READER_ROLE = `arn:aws:iam::${CUSTOMER}:role/runtrail-trail-reader`;
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

/** An audit replica as an operator runs it: its NATS user, every node, PostgreSQL, short poll and lease. */
async function startAudit(): Promise<ServiceProcess> {
  const audit = await ServiceProcess.start('audit', await freePort(), {
    NATS_URL: cluster.url,
    ...cluster.login('audit'),
    NATS_STREAM_REPLICAS: '3',
    DATABASE_URL: `${postgres.url}/postgres`,
    AWS_ENDPOINT_URL: emulator.endpoint,
    AWS_ACCESS_KEY_ID: PLATFORM_KEY.accessKeyId,
    AWS_SECRET_ACCESS_KEY: PLATFORM_KEY.secretAccessKey,
    AWS_REGION: 'us-east-1',
    PLATFORM_AWS_ACCOUNT_ID: PLATFORM_ACCOUNT,
    AUDIT_POLL_INTERVAL_MS: '1000',
    AUDIT_LEASE_TTL_MS,
  });
  audits.push(audit);
  return audit;
}

/** The poller lease of the trail source's region: its holder (`<host>:<pid>:<uuid>`), or null while free. */
async function leaseHolder(): Promise<string | null> {
  const leases = await new Kvm(admin).open('audit_poller_leases');
  const entry = await leases.get(`trail.${trailSource.id}.us-east-1`).catch(() => null);
  return entry?.operation === 'PUT' ? entry.string() : null;
}

/** The audit REST API as acme's admin. */
async function auditApi<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`http://127.0.0.1:${audits[0]!.port}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/**
 * `runtrail nats setup --replicas 3` from the build, as the operator (`runtrail-admin`); it creates
 * audit's lease bucket, so the audit replicas' short lease TTL is given here too.
 */
function natsSetup(): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [`${ROOT}/dist/apps/cli/src/main.js`, 'nats', 'setup', '--replicas', '3', '--worker', WORKER, '--audit-lease-ttl', AUDIT_LEASE_TTL_MS],
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
    // integrations' side of `integrations.v1.authenticate`, for the one admin key of this test.
    responder.nc.subscribe(AuthenticateApiKeyRequest.subject, {
      queue: AuthenticateApiKeyRequest.subject,
      callback: (_err, msg) => {
        const request = AuthenticateApiKeyRequest.request.parse(msg.json());
        const known = request.keyId === ADMIN_KEY_ID && request.secretSha256 === ADMIN_SECRET_SHA256;
        msg.respond(
          JSON.stringify(
            known
              ? { ok: true, data: { account: 'acme', role: 'admin', spaceSubtree: null, visibleSpaces: null } }
              : { ok: false, error: { code: 'UNAUTHENTICATED', message: 'unknown API key' } },
          ),
        );
      },
    });
  }, 120_000);

  afterAll(async () => {
    running = false;
    for (const service of [...brokers, ...audits]) await service.stop();
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

  it('starts two audit replicas and registers the seeded reader role as a trail source through REST: one replica holds the poller lease', async () => {
    await Promise.all([startAudit(), startAudit()]);
    const created = await auditApi<TrailSourceView>('POST', '/v1/audit/trail-sources', {
      awsAccountId: CUSTOMER,
      regions: ['us-east-1'],
      roleArn: READER_ROLE,
    });
    expect(created.status).toBe(201);
    trailSource = created.body;
    const deadline = Date.now() + 30_000;
    while (!(await leaseHolder()) && Date.now() < deadline) await sleep(250);
    const holder = await leaseHolder();
    expect(audits.filter((a) => holder?.split(':')[1] === String(a.child.pid))).toHaveLength(1);
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

    running = true;
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
    await nodeOutage(cluster, 'follower', fault);
    await sleep(6_000);
    await nodeOutage(cluster, 'meta leader', fault);
    await sleep(6_000);

    const [victim, survivor] = brokers;
    await fault('SIGKILL a credential-broker replica', () => victim!.kill());
    await sleep(5_000);
    await startBroker();
    await sleep(6_000);

    // The audit replica polling CloudTrail: the lease names its holder `<host>:<pid>:<uuid>`.
    const holder = await leaseHolder();
    const poller = audits.find((a) => holder?.split(':')[1] === String(a.child.pid));
    if (!poller) throw new Error(`no audit replica holds the poller lease (holder ${holder})`);
    // A finding for the replicas to raise across the takeover: the customer's admin tries the
    // integrated role with runtrail's external id and is denied (its trust names runtrail's account).
    const denied = await deniedAssumeRole();
    await sleep(1_500);
    await fault('SIGKILL the audit replica holding the poller lease', () => poller.kill());
    let takeover: { holder: string; afterMs: number } | undefined;
    while (!takeover && Date.now() < faults.at(-1)!.at + 30_000) {
      const now = await leaseHolder().catch(() => null);
      if (now && now !== holder) takeover = { holder: now, afterMs: Date.now() - faults.at(-1)!.at };
      else await sleep(100);
    }
    expect(takeover).toBeDefined();
    faults.at(-1)!.takeoverMs = takeover!.afterMs;
    await startAudit();
    await sleep(4_000);

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

    // Audit: every CloudTrail event of the customer's account stored once, no finding raised twice.
    const trail = await auditedTrail(faults[0]!.at - 10_000, lastFault);
    expect(trail.missing).toEqual([]);
    expect(trail.twice).toEqual([]);
    expect(trail.stored).toBe(trail.recorded);
    const findings = await raisedFindings();
    expect(findings.twiceInTable).toEqual([]);
    expect(findings.twiceOnNats).toEqual([]);
    // The denied AssumeRole raised exactly one finding, stored once and published once.
    const deniedFinding = await deniedFindings(denied.at, 60_000);
    expect(deniedFinding.stored).toHaveLength(1);
    expect(deniedFinding.published).toEqual(deniedFinding.stored);
    for (const audit of audits.filter((a) => a.child.exitCode === null && a.child.signalCode === null)) {
      const ready = await fetch(`http://127.0.0.1:${audit.port}/health/ready`).then((r) => r.json() as Promise<{ status: string }>);
      expect(ready.status).toBe('ready');
    }

    const report = faultWindows(published, delivered, faults);
    console.log(
      [
        `cluster faults: ${runs.size} runs, ${published.length} phases delivered once each, ${RUNS_PER_SECOND} runs/s, 3 NATS nodes, 2 brokers, PostgreSQL`,
        `baseline publish->delivery: p50 ${report.baseline.p50} ms, max ${report.baseline.max} ms`,
        ...report.faults.map(
          (f) =>
            `${f.name}: longest delivery gap ${f.longestGapMs} ms; runs published around it (-2 s..+2 s) waited up to ${f.maxLatencyMs} ms (${f.runs} phases)` +
            (f.takeoverMs === undefined ? '' : `; poller lease taken over after ${f.takeoverMs} ms`),
        ),
        `audit (2 replicas): ${trail.recorded} CloudTrail events of ${CUSTOMER} from 10 s before the first fault to the last, each stored once; ${findings.count} findings, none raised twice; the AssumeRole denied ${((faults.at(-2)!.at - denied.at) / 1000).toFixed(1)} s before the lease holder's kill raised one denied_assume_role finding (${deniedFinding.stored[0]})`,
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

/**
 * The emulator's CloudTrail records of the customer account from `from` to `to` against audit's
 * `cloudtrail_event` (in its schema `audit`; eventID is its key), once audit caught up (up to 60 s after the faults).
 */
async function auditedTrail(from: number, to: number): Promise<{ recorded: number; stored: number; missing: string[]; twice: string[] }> {
  const recorded = emulator
    .events(CUSTOMER)
    .filter((e) => Date.parse(e.eventTime ?? '') >= from && Date.parse(e.eventTime ?? '') <= to)
    .flatMap((e) => (e.eventID ? [e.eventID] : []));
  const db = new Client({ connectionString: `${postgres.url}/postgres` });
  await db.connect();
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const rows = (await db.query<{ event_id: string; n: string }>(
        'select event_id, count(*) as n from audit.cloudtrail_event where event_id = any($1) group by event_id',
        [recorded],
      )).rows;
      const count = new Map(rows.map((r) => [r.event_id, Number(r.n)]));
      const missing = recorded.filter((id) => !count.has(id));
      if (missing.length === 0 || Date.now() > deadline) {
        const stored = rows.reduce((sum, r) => sum + Number(r.n), 0);
        return { recorded: recorded.length, stored, missing, twice: rows.filter((r) => Number(r.n) > 1).map((r) => r.event_id) };
      }
      await sleep(1_000);
    }
  } finally {
    await db.end();
  }
}

/** Findings audit stored (one row per logical finding: kind and subject) and published on `audit.v1.finding`. */
async function raisedFindings(): Promise<{ count: number; twiceInTable: string[]; twiceOnNats: string[] }> {
  const db = new Client({ connectionString: `${postgres.url}/postgres` });
  await db.connect();
  try {
    const { rows } = await db.query<{ id: string; kind: string; event_id: string | null; run_id: string | null; role_arn: string | null; message: string }>(
      'select id, kind, event_id, run_id, role_arn, message from audit.finding',
    );
    const logical = new Map<string, number>();
    for (const r of rows) {
      const key = `${r.kind}|${r.event_id}|${r.run_id}|${r.role_arn}|${r.message}`;
      logical.set(key, (logical.get(key) ?? 0) + 1);
    }
    const onNats = new Map<string, number>();
    for (const { id } of await subjectMessages<{ id: string }>('AUDIT', FindingRaisedEvent.name)) onNats.set(id, (onNats.get(id) ?? 0) + 1);
    return {
      count: rows.length,
      twiceInTable: [...logical].filter(([, n]) => n > 1).map(([k]) => k),
      twiceOnNats: [...onNats].filter(([, n]) => n > 1).map(([id]) => id),
    };
  } finally {
    await db.end();
  }
}

async function failures(runs: Set<string>): Promise<string[]> {
  return (await subjectMessages<{ runId: string; code: string; reason: string }>('CREDENTIALS', CredentialsFailedEvent.name))
    .filter((f) => runs.has(f.runId))
    .map((f) => `${f.runId}: ${f.code}: ${f.reason}`);
}

/** Every message `stream` holds on `subject`, parsed, oldest first (as the operator reads them). */
async function subjectMessages<T>(stream: string, subject: string): Promise<T[]> {
  const consumer = await jetstream(admin).consumers.get(stream, { filter_subjects: subject });
  const pending = (await consumer.info()).num_pending;
  const out: T[] = [];
  while (out.length < pending) {
    const batch = await consumer.fetch({ max_messages: Math.min(500, pending - out.length), expires: 5_000 });
    for await (const m of batch) out.push(m.json<T>());
  }
  return out;
}

/**
 * The customer's admin calls AssumeRole on the integrated role with runtrail's external id format:
 * the role trusts runtrail's account only, so STS denies it and CloudTrail records the attempt.
 */
async function deniedAssumeRole(): Promise<{ at: number; code: string }> {
  const sts = new STSClient({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: CUSTOMER_ADMIN });
  const at = Date.now();
  try {
    await sts.send(
      new AssumeRoleCommand({ RoleArn: DEMO_ROLE, RoleSessionName: 'e2e-not-runtrail', ExternalId: `acme@${snapshot.id}@network@write` }),
    );
    throw new Error('AssumeRole by the customer admin was not denied');
  } catch (error) {
    const code = (error as { name?: string }).name ?? String(error);
    if (!/AccessDenied/.test(code)) throw error;
    return { at, code };
  } finally {
    sts.destroy();
  }
}

/**
 * The denied_assume_role findings on the integrated role from `since` on: the ids stored in
 * audit.finding (waiting up to `timeoutMs` for the first) and those published on audit.v1.finding.
 */
async function deniedFindings(since: number, timeoutMs: number): Promise<{ stored: string[]; published: string[] }> {
  const db = new Client({ connectionString: `${postgres.url}/postgres` });
  await db.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    let stored: string[] = [];
    for (;;) {
      stored = (
        await db.query<{ id: string }>(
          "select id from audit.finding where kind = 'denied_assume_role' and role_arn = $1 order by id",
          [DEMO_ROLE],
        )
      ).rows.map((r) => r.id);
      if (stored.length > 0 || Date.now() > deadline) break;
      await sleep(1_000);
    }
    // Published by whichever replica stored it (the outbox): give the publish a moment after the row.
    await sleep(3_000);
    const published = (await subjectMessages<{ id: string; kind: string; roleArn: string | null; detectedAt: string }>('AUDIT', FindingRaisedEvent.name))
      .filter((f) => f.kind === 'denied_assume_role' && f.roleArn === DEMO_ROLE && Date.parse(f.detectedAt) >= since - 1_000)
      .map((f) => f.id);
    return { stored, published: published.sort() };
  } finally {
    await db.end();
  }
}
