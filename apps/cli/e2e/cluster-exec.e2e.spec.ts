import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunTimeline, TrailSourceView } from '@runtrail/contracts';
import { postgresBinDir } from '@runtrail/testing';
import { Client } from 'pg';
import { ulid } from 'ulid';
import { nodeOutage } from './support/fault-timeline';
import { ROOT, type ServiceProcess } from './support/service.process';
import { CUSTOMER, DEMO_ROLE, E2eStack, POOL_WORKERS, type ExecResult } from './support/stack.harness';

/**
 * Issue 16 on the user's path: `runtrail exec --publish-phases` as a worker pool runs it, through
 * the production topology, with only what a user has. Three nats-server nodes with the shipped
 * users (`runtrail nats setup --replicas 3`), PostgreSQL, and the real services as processes of the
 * build with NATS_URL listing every node: integrations + verifier, oidc-issuer, audit and two
 * credential-broker replicas. The stack, the integration and the trail source are made through
 * the REST API and the CLI. While runs start at ~2/s, a NATS node that is not the meta leader, then
 * the meta leader, then a broker replica are SIGKILLed (nodes restarted, a new broker started):
 * every exec exits 0 as the assumed role, one issuance per run and phase, `runtrail audit timeline`
 * shows runs' AssumeRoles, and no issued secret is in any log, event or row. The longest exec
 * around each fault is printed, not asserted (timings are measured, never tested).
 */
// Each `runtrail exec` is a Node process costing about 1.5 s of CPU (1,500 modules loaded), so a
// pool runs a bounded number at once, as a worker pool does: runs start at up to RUNS_PER_SECOND
// while fewer than CONCURRENCY are in flight. Unbounded, 2 cores fall behind and every process
// (a broker replica starting, the runs API) starves.
const RUNS_PER_SECOND = Number(process.env['CLUSTER_EXEC_RUNS_PER_S'] ?? 2);
const CONCURRENCY = Number(process.env['CLUSTER_EXEC_CONCURRENCY'] ?? 4);
const READER_ROLE = `arn:aws:iam::${CUSTOMER}:role/runtrail-trail-reader`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let stack: E2eStack;
let adminKey: string;
let secretsDir: string;
let caller: { callerId: string; slug: string };
/** Whether runs are still being started (cleared by afterAll too, should the fault sequence throw). */
let running = false;
/** What happened when, printed at the end (also when a step throws). */
const progress: string[] = [];

interface Launched {
  runId: string;
  startedAt: number;
  endedAt?: number;
  result?: ExecResult;
  /** Every tenth run asks AWS who it is with /usr/bin/aws; the others print their access key id. */
  awsCli: boolean;
}

/**
 * The command a run executes: keeps the secrets it got (for the leak scan), prints the access key
 * id it was given, and, with `awsCli`, asks the emulator's STS who it is.
 */
function command(runId: string, awsCli: boolean): string[] {
  const keep = `printf '%s\\n%s\\n' "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" > ${secretsDir}/${runId}`;
  const whoAmI = awsCli ? '; exec /usr/bin/aws --endpoint-url "$AWS_ENDPOINT_URL" sts get-caller-identity --output json' : '';
  return ['sh', '-c', `test -n "$AWS_ACCESS_KEY_ID" && ${keep} && echo "key=$AWS_ACCESS_KEY_ID"${whoAmI}`];
}

/** `runtrail audit timeline <runId> --json` as acme's admin, once it shows both issuances seen in the trail. */
async function timelineOf(runId: string, timeoutMs: number): Promise<{ timeline?: RunTimeline; last: ExecResult }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await stack.runtrail(['audit', 'timeline', runId, '--json'], adminKey);
    if (last.code === 0) {
      const timeline = JSON.parse(last.stdout) as RunTimeline;
      if (timeline.issuances.length === 2 && timeline.issuances.every((i) => i.seenInTrail)) return { timeline, last };
    }
    if (Date.now() > deadline) return { last };
    await sleep(1_000);
  }
}

/**
 * The longest time a run's exec waited for credentials: from `waiting for <phase>` to its own
 * delivery taken from the consumer or read directly, whichever came first, read from its trace
 * (`RUNTRAIL_EXEC_TRACE`). The rest of an exec's time is its
 * start-up, the runs API and the command.
 */
function longestWait(stderr: string): number {
  let since: number | undefined;
  let longest = 0;
  for (const line of stderr.split('\n')) {
    const traced = /trace (\S+) (waiting for|took \S+ OWN,|read \S+ directly)/.exec(line);
    if (!traced) continue;
    const at = Date.parse(traced[1]!);
    if (traced[2] === 'waiting for') since = at;
    else if (since !== undefined) {
      longest = Math.max(longest, at - since);
      since = undefined;
    }
  }
  return longest;
}

/** The longest time a run's own delivery was in the stream before its exec took or read it (from its trace). */
function longestTake(stderr: string): number {
  const taken = /(?:took \S+ OWN|read \S+ directly), stored (\d+) ms ago/g;
  return Math.max(0, ...[...stderr.matchAll(taken)].map((m) => Number(m[1])));
}

/** Every row of every table of PostgreSQL's `postgres` database, as text (the leak scan's rows). */
async function allRows(): Promise<string> {
  const db = new Client({ connectionString: stack.brokerDatabaseUrl });
  await db.connect();
  try {
    const tables = await db.query<{ schema: string; name: string }>(
      "select table_schema as schema, table_name as name from information_schema.tables where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')",
    );
    const out: string[] = [];
    for (const t of tables.rows) {
      const rows = await db.query<{ row: string }>(`select t::text as row from "${t.schema}"."${t.name}" t`);
      out.push(...rows.rows.map((r) => `${t.schema}.${t.name} ${r.row}`));
    }
    return out.join('\n');
  } finally {
    await db.end();
  }
}

const describeWithPostgres = postgresBinDir() ? describe : describe.skip;

describeWithPostgres('runtrail exec through a NATS cluster under faults (the user-facing path)', () => {
  beforeAll(async () => {
    const build = spawnSync(process.execPath, ['tools/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
    stack = await E2eStack.start({ integrations: 'real', nats: 'cluster', postgres: true, brokers: 2, audit: true });
    secretsDir = join(stack.dataDir, 'secrets');
    // Every exec traces how its credentials came (timestamps on stderr): the figures below read it.
    const exec = stack.exec.bind(stack);
    stack.exec = (args, env = {}) => exec(args, { ...env, RUNTRAIL_EXEC_TRACE: '1' });
    mkdirSync(secretsDir);
    adminKey = await stack.api.createApiKey('e2e-cluster-admin', 'admin');
    const registered = await stack.register(['platform'], 'network');
    caller = { callerId: registered.callerId, slug: registered.slug };
    // The customer's CloudTrail, read through the seed's reader role: added as a user adds it.
    const added = await stack.runtrail(
      ['trail-sources', 'add', '--aws-account', CUSTOMER, '--region', 'us-east-1', '--role-arn', READER_ROLE, '--json'],
      adminKey,
    );
    expect({ code: added.code, stderr: added.stderr }).toEqual({ code: 0, stderr: '' });
    expect((JSON.parse(added.stdout) as TrailSourceView).roleArn).toBe(READER_ROLE);
    // One run before any fault: the services' first issuance (cold paths) is not a fault's figure.
    const warmUp = await stack.execRun({ runId: ulid(), ...caller, timeoutSeconds: 60 }, ['true']);
    expect({ code: warmUp.code, stderr: warmUp.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('APPLYING: running') });
  }, 240_000);

  afterAll(async () => {
    running = false;
    console.log(progress.join('\n'));
    await stack?.stop();
  });

  it('every runtrail exec exits 0 as the assumed role, one issuance per run and phase, while a NATS node, the meta leader and a broker are SIGKILLed', async () => {
    const cluster = stack.cluster!;
    const runs: Launched[] = [];
    const pending: Array<Promise<void>> = [];
    const faults: Array<{ name: string; at: number }> = [];

    running = true;
    const launcher = (async () => {
      for (let i = 0; running; i++) {
        while (running && runs.filter((r) => !r.result).length >= CONCURRENCY) await sleep(50);
        if (!running) break;
        const run: Launched = { runId: ulid(), startedAt: Date.now(), awsCli: i % 10 === 0 };
        runs.push(run);
        pending.push(
          stack
            .execRun(
              { runId: run.runId, ...caller, workerId: POOL_WORKERS[i % POOL_WORKERS.length], timeoutSeconds: 150 },
              command(run.runId, run.awsCli),
            )
            .then((result) => {
              run.result = result;
              run.endedAt = Date.now();
            }),
        );
        await sleep(1000 / RUNS_PER_SECOND);
      }
    })();
    const t0 = Date.now();
    const note = (what: string) => {
      const done = runs.filter((r) => r.result);
      progress.push(
        `+${((Date.now() - t0) / 1000).toFixed(1)} s ${what}: ${runs.length} started, ${done.length} ended, ${done.filter((r) => r.result!.code !== 0).length} failed`,
      );
    };
    const fault = async (name: string, act: () => Promise<void>) => {
      faults.push({ name, at: Date.now() });
      note(name);
      await act();
    };

    // Long enough for a few runs to end before the first fault: the baseline of the figures.
    await sleep(10_000);
    note(`${await nodeOutage(cluster, 'follower', fault)} back`);
    await sleep(5_000);
    note(`${await nodeOutage(cluster, 'meta leader', fault)} back`);
    await sleep(5_000);

    const victim: ServiceProcess = stack.brokers[0]!;
    await fault('SIGKILL a credential-broker replica', () => victim.kill());
    await sleep(4_000);
    await stack.startBroker();
    note('a new broker replica ready');
    await sleep(5_000);

    running = false;
    await launcher;
    await Promise.all(pending);
    note('every exec ended');

    // Every run: exit 0, the command ran with the credentials of its own session of the integration's role.
    const failed = runs.filter((r) => r.result?.code !== 0);
    if (failed.length) {
      // What the streams and the brokers know of each failed run: where its credentials stopped.
      const streams = await Promise.all(['RUNS', 'CREDENTIALS', 'DELIVERIES', 'DLQ'].map((st) => stack.streamMessages(st)));
      const lines: string[] = [];
      for (const r of failed.slice(0, 5)) {
        lines.push(`${r.runId} exit ${r.result?.code} after ${r.endedAt! - r.startedAt} ms (fault marks: ${faults.map((f) => `${((r.startedAt - f.at) / 1000).toFixed(1)} s`).join(', ')}):`, r.result!.stderr);
        for (const m of streams.flat().filter((m) => m.data.includes(r.runId))) lines.push(`  ${m.subject} ${m.data.slice(0, 160)}`);
        for (const b of stack.brokers) lines.push(...b.text.split('\n').filter((l) => l.includes(r.runId)).map((l) => `  broker ${b.child.pid}: ${l.slice(0, 300)}`));
      }
      console.log(lines.join('\n'));
    }
    expect(failed.map((r) => `${r.runId}: exit ${r.result?.code}`)).toEqual([]);
    const sessions = new Map(stack.issuedSessions().map((s) => [s.accessKeyId, s]));
    for (const run of runs) {
      const key = /^key=(ASIA[A-Z0-9]{16})$/m.exec(run.result!.stdout)?.[1];
      expect({ runId: run.runId, session: sessions.get(key ?? '')?.sessionName, role: sessions.get(key ?? '')?.roleArn }).toEqual({
        runId: run.runId,
        session: `${run.runId}@network@acme`,
        role: DEMO_ROLE,
      });
      expect(run.result!.stderr).toContain(
        `APPLYING: running the command as arn:aws:sts::${CUSTOMER}:assumed-role/runtrail-demo/${run.runId}@network@acme`,
      );
      if (run.awsCli)
        expect((JSON.parse(run.result!.stdout.slice(run.result!.stdout.indexOf('{'))) as { Arn: string }).Arn).toBe(
          `arn:aws:sts::${CUSTOMER}:assumed-role/runtrail-demo/${run.runId}@network@acme`,
        );
    }

    // Exactly one issuance per run and phase: no retry through an election issued twice.
    const issued = (await stack.streamMessages('CREDENTIALS', 'credentials.v1.issued')).map(
      (m) => JSON.parse(m.data) as { runId: string; phase: string },
    );
    const perPhase = new Map<string, number>();
    for (const e of issued) perPhase.set(`${e.runId} ${e.phase}`, (perPhase.get(`${e.runId} ${e.phase}`) ?? 0) + 1);
    const notOnce = runs
      .flatMap((r) => ['PLANNING', 'APPLYING'].map((phase) => `${r.runId} ${phase}`))
      .filter((k) => perPhase.get(k) !== 1)
      .map((k) => `${k} x${perPhase.get(k) ?? 0}`);
    expect(notOnce).toEqual([]);
    expect(issued.filter((e) => runs.some((r) => r.runId === e.runId))).toHaveLength(runs.length * 2);

    // The replicas still running recovered on their own.
    for (const service of [...stack.brokers.filter((b) => b !== victim), ...stack.services, stack.issuer]) {
      const ready = await fetch(`http://127.0.0.1:${service.port}/health/ready`).then((r) => r.json() as Promise<{ status: string }>);
      expect({ service: service.name, status: ready.status }).toEqual({ service: service.name, status: 'ready' });
    }

    // Recovery figures: the longest exec among the runs in flight within 2 s of each fault.
    const duration = (r: Launched) => r.endedAt! - r.startedAt;
    const before = runs.filter((r) => r.endedAt! < faults[0]!.at).map(duration).sort((a, b) => a - b);
    console.log(
      [
        `cluster exec: ${runs.length} runs of runtrail exec --publish-phases (up to ${RUNS_PER_SECOND}/s, ${CONCURRENCY} at once), 3 NATS nodes, 2 brokers on PostgreSQL, every one exit 0`,
        `before the first fault: exec p50 ${before[Math.floor(before.length / 2)]} ms, max ${before.at(-1)} ms (${before.length} runs)`,
        ...faults.map((f) => {
          const around = runs.filter((r) => r.startedAt <= f.at + 2_000 && r.endedAt! >= f.at - 2_000);
          const wait = Math.max(...around.map((r) => longestWait(r.result!.stderr)));
          const take = Math.max(...around.map((r) => longestTake(r.result!.stderr)));
          return `${f.name}: longest exec in flight within 2 s of it ${Math.max(...around.map(duration))} ms, longest wait for credentials ${wait} ms, longest from stored to taken ${take} ms (${around.length} runs)`;
        }),
        ...(() => {
          // What the slowest run went through (its retries name what it waited for), and the run
          // whose delivery sat longest in the stream before its exec took it (exec's own share).
          const slowest = [...runs].sort((a, b) => duration(b) - duration(a))[0]!;
          const latest = [...runs].sort((a, b) => longestTake(b.result!.stderr) - longestTake(a.result!.stderr))[0]!;
          const at = (ms: number) => faults.map((f) => `${f.name.split(' ').slice(0, 4).join(' ')} ${((ms - f.at) / 1000).toFixed(1)} s`).join(', ');
          return [slowest, ...(latest === slowest ? [] : [latest])].flatMap((r) => [
            `${r === slowest ? 'slowest' : 'latest taken'} run ${r.runId}: ${duration(r)} ms (waited ${longestWait(r.result!.stderr)} ms for credentials, ${longestTake(r.result!.stderr)} ms of it after they were stored), started at ${at(r.startedAt)}`,
            r.result!.stderr.trim(),
          ]);
        })(),
      ].join('\n'),
    );

    // The user's view of a run from before the faults and one started just before the meta leader died.
    const picked = [
      runs.find((r) => r.endedAt! < faults[0]!.at) ?? runs[0]!,
      [...runs].reverse().find((r) => r.startedAt < faults[1]!.at) ?? runs.at(-1)!,
    ];
    for (const run of picked) {
      const { timeline, last } = await timelineOf(run.runId, 90_000);
      if (!timeline)
        console.log(
          [
            `run ${run.runId}: no timeline with both issuances seen in the trail; the last answer:`,
            last.stdout.slice(0, 3_000),
            'audit lines:',
            ...stack.audit.text.split('\n').filter((l) => /WARN|ERROR|lease|poll|failed/i.test(l)).slice(-30),
          ].join('\n'),
        );
      expect({ code: last.code, stderr: last.stderr }).toEqual({ code: 0, stderr: '' });
      expect(timeline?.issuances.map((i) => [i.phase, i.scope, i.roleArn, i.seenInTrail])).toEqual([
        ['PLANNING', 'read', DEMO_ROLE, true],
        ['APPLYING', 'write', DEMO_ROLE, true],
      ]);
      const assumeRoles = timeline!.events.items.filter((e) => e.eventName === 'AssumeRole' && e.roleArn === DEMO_ROLE);
      expect(assumeRoles.map((e) => e.requestParameters?.['roleSessionName'])).toEqual([
        `${run.runId}@network@acme`,
        `${run.runId}@network@acme`,
      ]);
    }

    // No issued secret in any service's log, exec's output, event or row.
    const secrets = readdirSync(secretsDir).flatMap((f) => readFileSync(join(secretsDir, f), 'utf8').trim().split('\n'));
    expect(secrets).toHaveLength(runs.length * 2);
    const logs = [...stack.brokers.map((b) => b.text), ...stack.services.map((s) => s.text), stack.issuer.text, ...stack.execOutputs].join('\n');
    const events: string[] = [];
    for (const stream of ['RUNS', 'CREDENTIALS', 'DELIVERIES', 'DLQ', 'AUDIT'])
      events.push(...(await stack.streamMessages(stream)).map((m) => m.data));
    const rows = await allRows();
    // The scan covers what it should: the ledger's and audit's rows hold the public key ids.
    expect(rows).toContain(/^key=(ASIA[A-Z0-9]{16})$/m.exec(runs[0]!.result!.stdout)![1]);
    const leaked = secrets.filter((s) => s.length <= 20 || logs.includes(s) || events.some((e) => e.includes(s)) || rows.includes(s));
    expect(leaked.map((s) => `${s.slice(0, 4)}... (${s.length} chars)`)).toEqual([]);
  }, 420_000);
});
