// P1 and P1b (bench/RESULTS.md): run phase event published -> sealed delivery received, and
// issuances per second with 1 and 2 broker replicas.
//
//   node tools/build.mjs && node dist/bench/credential-broker.bench.js [--runs 3] [--write]
//
// P1: closed loops keep 1, 50 or 500 runs in flight; each publishes `runs.v1.phase.<run>` (APPLYING)
//     and waits for `deliveries.v1.bench.<run>` (a core subscription of the worker; the JWE is not
//     opened), for a caller whose integration is as `POST /integrations` creates it by default. The
//     floor, measured in the same run at the same concurrency, is what any broker must do at least:
//     the AssumeRole that integration needs (no session tags, no SourceIdentity) to the same emulator
//     plus one NATS request/reply.
// P1b: 2000 run events published at once; issuances per second until the last delivery, with one
//     replica, then two (each its own process, one durable consumer, one database), for each of the
//     bench's two integrations (BENCH_CALLERS: the default one, and one with session tagging and
//     SourceIdentity on). Beside each, in the same run, the floor's throughput (64 floor calls in
//     flight) making the same AssumeRole as the broker must for that integration (the same
//     parameters: a tagged integration's five session tags, their transitive keys and SourceIdentity
//     are part of the call, not broker overhead), and CPU ms per issuance of each process
//     (/proc/<pid>/stat): the broker replicas', the emulator's, this script's.
// --throughput-only skips P1's latency levels, --latency-only P1b (printed, never written); --cpu-prof starts the first replica with
//     `node --cpu-prof` (profile written to a temporary directory, printed, when it stops).
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { roleSessionName, sessionTags, sourceIdentity, TRANSITIVE_SESSION_TAG_KEYS } from '@runtrail/aws-identity';
import { RunPhaseChangedEvent, type PublicEcJwk } from '@runtrail/contracts';
import { MessageBus } from '@runtrail/messaging';
import { generateSealingKeyPair } from '@runtrail/sealing';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { monotonicFactory } from 'ulid';
import {
  answerResolve,
  BENCH_CALLERS,
  BenchStack,
  PLATFORM,
  processCpuMs,
  processTreeCpuMs,
  type BenchCaller,
} from './credential-broker.stack';

/**
 * Run ids for the bench's events and floor calls. ulid 3's plain `ulid()` asks WebCrypto for one byte
 * per character (about 0.1 ms of this script's CPU per id, on the clock of whatever it measures);
 * the monotonic factory draws its randomness once per millisecond (about 1 µs per id).
 */
const ulid = monotonicFactory();

const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] ?? 3) || 3;
const LEVELS = [
  { inFlight: 1, total: 200 },
  { inFlight: 50, total: 1000 },
  { inFlight: 500, total: 2000 },
];
const THROUGHPUT_EVENTS = 2000;
const FLOOR_IN_FLIGHT = 64;
const THROUGHPUT_ONLY = args.includes('--throughput-only');
const LATENCY_ONLY = args.includes('--latency-only');
const CPU_PROF = args.includes('--cpu-prof');

/** Rate and CPU ms per operation of each process while `work` did `ops` operations. */
interface Measured {
  rate: number;
  cpu: { brokers: number; emulator: number; script: number; postgres: number; nats: number };
}

async function measured(stack: BenchStack, ops: number, work: () => Promise<void>): Promise<Measured> {
  const pids = stack.brokers.map((b) => b.pid!);
  const brokers0 = pids.reduce((sum, pid) => sum + processCpuMs(pid), 0);
  const emulator0 = processCpuMs(stack.emulator.pid!);
  const pg = stack.postgresPid;
  const postgres0 = pg ? processTreeCpuMs(pg) : 0;
  const nats0 = processCpuMs(stack.nats.pid);
  const script0 = process.cpuUsage();
  const t0 = performance.now();
  await work();
  const wall = performance.now() - t0;
  const script = process.cpuUsage(script0);
  return {
    rate: (ops / wall) * 1000,
    cpu: {
      brokers: (pids.reduce((sum, pid) => sum + processCpuMs(pid), 0) - brokers0) / ops,
      emulator: (processCpuMs(stack.emulator.pid!) - emulator0) / ops,
      script: (script.user + script.system) / 1000 / ops,
      postgres: pg ? (processTreeCpuMs(pg) - postgres0) / ops : NaN,
      nats: (processCpuMs(stack.nats.pid) - nats0) / ops,
    },
  };
}
const RESULTS = resolve(__dirname, '../../bench/RESULTS.md');

interface Latency {
  p50: number;
  p99: number;
}

function percentiles(samples: number[]): Latency {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/** Runs `one` `total` times with `inFlight` concurrent loops; latency of each call in ms. */
async function closedLoop(inFlight: number, total: number, one: () => Promise<void>): Promise<number[]> {
  const samples: number[] = [];
  let started = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (started++ < total) {
        const t0 = performance.now();
        await one();
        samples.push(performance.now() - t0);
      }
    }),
  );
  return samples;
}

/** The worker side: resolves the waiter of a run when its delivery arrives. */
class Deliveries {
  private readonly waiters = new Map<string, () => void>();
  count = 0;

  constructor(nc: NatsConnection) {
    nc.subscribe('deliveries.v1.bench.>', {
      callback: (_e, msg) => {
        this.count++;
        const runId = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
        this.waiters.get(runId)?.();
        this.waiters.delete(runId);
      },
    });
  }

  wait(runId: string): Promise<void> {
    return new Promise((r) => this.waiters.set(runId, r));
  }
}

type Config = keyof typeof BENCH_CALLERS;
/** The bench's integrations, in the order each run measures them. */
const CONFIGS = Object.keys(BENCH_CALLERS) as Config[];

function runEvent(runId: string, key: PublicEcJwk, caller: BenchCaller) {
  return {
    runId,
    account: 'acme',
    spaceId: 'root',
    caller: { type: 'stack' as const, id: caller.id, slug: 'network' },
    runType: 'TRACKED' as const,
    phase: 'APPLYING' as const,
    workerId: 'bench',
    workerPublicKey: key,
    at: new Date().toISOString(),
  };
}

async function main(): Promise<void> {
  const stack = await BenchStack.start();
  const nc = await connect({ servers: stack.nats.url });
  const bus = new MessageBus(nc);
  answerResolve(nc);
  nc.subscribe('bench.echo', { callback: (_e, msg) => void msg.respond(msg.data) });
  const deliveries = new Deliveries(nc);
  const key = (await generateSealingKeyPair()).publicJwk;
  const sts = new STSClient({
    endpoint: stack.emulatorUrl,
    region: 'us-east-1',
    credentials: PLATFORM,
    maxAttempts: 1,
  });
  /**
   * The AssumeRole the broker makes for a run of `caller`: the same parameters, built by the same
   * definitions (about 3 µs of the script's CPU per call for the session name and SourceIdentity,
   * as the broker spends on them).
   */
  const assume = (caller: BenchCaller) => {
    const runId = ulid();
    return sts.send(
      new AssumeRoleCommand({
        RoleArn: 'arn:aws:iam::222222222222:role/runtrail-demo',
        RoleSessionName: roleSessionName({ runId, callerSlug: 'network', account: 'acme' }),
        ExternalId: `acme@${caller.integrationId}@network@write`,
        DurationSeconds: 900,
        ...(caller.tagged && {
          SourceIdentity: sourceIdentity(runId),
          Tags: sessionTags({ run: runId, caller: caller.id, space: 'root', account: 'acme', scope: 'write' }),
          TransitiveTagKeys: [...TRANSITIVE_SESSION_TAG_KEYS],
        }),
      }),
    );
  };
  const floorOnce = (config: Config) => async () => {
    const caller = BENCH_CALLERS[config];
    // A kept-alive socket the emulator closed meanwhile fails once at 500 in flight; the retry is
    // part of the measured time, so the floor only gets slower, never flattering.
    await assume(caller).catch(() => assume(caller));
    await nc.request('bench.echo', 'x', { timeout: 10_000 });
  };
  const brokerOnce = (config: Config) => async () => {
    const runId = ulid();
    const delivered = deliveries.wait(runId);
    await bus.publish(RunPhaseChangedEvent, runEvent(runId, key, BENCH_CALLERS[config]));
    await delivered;
  };

  try {
    await measure(stack, bus, deliveries, key, floorOnce, brokerOnce);
  } finally {
    sts.destroy();
    await nc.drain();
    await stack.stop();
  }
}

async function measure(
  stack: BenchStack,
  bus: MessageBus,
  deliveries: Deliveries,
  key: PublicEcJwk,
  floorOnce: (config: Config) => () => Promise<void>,
  brokerOnce: (config: Config) => () => Promise<void>,
): Promise<void> {
  const profileDir = CPU_PROF ? mkdtempSync(join(tmpdir(), 'runtrail-broker-prof-')) : undefined;
  await stack.startBroker(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
  for (const config of CONFIGS) {
    await closedLoop(10, 200, brokerOnce(config)); // warm-up: JIT, connections, the database
    await closedLoop(10, 200, floorOnce(config));
  }
  const p1: Array<{ inFlight: number; broker: Latency[]; floor: Latency[] }> = LEVELS.map((l) => ({
    inFlight: l.inFlight,
    broker: [],
    floor: [],
  }));
  for (let run = 0; run < (THROUGHPUT_ONLY ? 0 : RUNS); run++) {
    for (const [i, level] of LEVELS.entries()) {
      p1[i]!.floor.push(percentiles(await closedLoop(level.inFlight, level.total, floorOnce('default'))));
      p1[i]!.broker.push(percentiles(await closedLoop(level.inFlight, level.total, brokerOnce('default'))));
      console.log(
        `run ${run + 1} level ${level.inFlight}: broker ${JSON.stringify(p1[i]!.broker.at(-1))} floor ${JSON.stringify(p1[i]!.floor.at(-1))}`,
      );
    }
  }

  if (LATENCY_ONLY) {
    console.log(`\n${p1Table(p1).join('\n')}`);
    return;
  }

  const throughput = (config: Config) =>
    measured(stack, THROUGHPUT_EVENTS, async () => {
      const before = deliveries.count;
      const caller = BENCH_CALLERS[config];
      const ids = Array.from({ length: THROUGHPUT_EVENTS }, () => ulid());
      for (let i = 0; i < ids.length; i += 200)
        await Promise.all(
          ids.slice(i, i + 200).map((id) => bus.publish(RunPhaseChangedEvent, runEvent(id, key, caller))),
        );
      while (deliveries.count - before < THROUGHPUT_EVENTS) await new Promise((r) => setTimeout(r, 5));
    });
  const floorThroughput = (config: Config) =>
    measured(stack, THROUGHPUT_EVENTS, async () => {
      await closedLoop(FLOOR_IN_FLIGHT, THROUGHPUT_EVENTS, floorOnce(config));
    });
  const p1b: P1b = { 1: pairs(), 2: pairs() };
  /**
   * Unmeasured rounds first (one of the floor, `warmUps` of the broker, per integration): the first
   * measured round was otherwise still warming up (JIT of the replica, the SDK clients, the
   * database's plans), by up to 50% more CPU per issuance. Then the measured ones, floor and broker
   * interleaved run by run and integration by integration, so the machine's drift hits all alike.
   */
  const rounds = async (replicas: 1 | 2, warmUps: number) => {
    for (const config of CONFIGS) {
      await floorThroughput(config);
      for (let i = 0; i < warmUps; i++) await throughput(config);
    }
    for (let run = 0; run < RUNS; run++) {
      for (const config of CONFIGS) {
        const pair = p1b[replicas][config];
        pair.floor.push(await floorThroughput(config));
        pair.broker.push(await throughput(config));
        console.log(
          `P1b run ${run + 1}, ${replicas} replica(s), ${config}: floor ${JSON.stringify(pair.floor.at(-1))} broker ${JSON.stringify(pair.broker.at(-1))}`,
        );
      }
    }
  };
  await rounds(1, 1);
  if (profileDir) {
    await stack.stopBrokers();
    console.log(`broker CPU profile (1 replica, every phase) in ${profileDir}`);
  }
  while (stack.brokers.length < 2) await stack.startBroker();
  await closedLoop(10, 200, brokerOnce('default'));
  // As many unmeasured broker rounds as replicas, so the new replica too has issued about 2,000 of each first.
  await rounds(2, 2);

  const section = report(p1, p1b, stack.databaseKind);
  console.log(`\n${section}`);
  if (args.includes('--write')) writeSection(section);
}

/** One integration's P1b measurements, run by run: the floor making its AssumeRole, and the broker. */
interface P1bPair {
  floor: Measured[];
  broker: Measured[];
}
type P1b = Record<1 | 2, Record<Config, P1bPair>>;

function pairs(): Record<Config, P1bPair> {
  const empty = (): P1bPair => ({ floor: [], broker: [] });
  return Object.fromEntries(CONFIGS.map((config) => [config, empty()])) as Record<Config, P1bPair>;
}

/** P1's table: medians over the runs of each level's p50 and p99, broker and floor. */
function p1Table(p1: Array<{ inFlight: number; broker: Latency[]; floor: Latency[] }>): string[] {
  const ms = (v: number) => v.toFixed(1);
  const rows = p1.map((l) => {
    const b = { p50: median(l.broker.map((x) => x.p50)), p99: median(l.broker.map((x) => x.p99)) };
    const f = { p50: median(l.floor.map((x) => x.p50)), p99: median(l.floor.map((x) => x.p99)) };
    return `| ${l.inFlight} | ${ms(b.p50)} | ${ms(b.p99)} | ${ms(f.p50)} | ${ms(f.p99)} | **${ms(b.p50 - f.p50)}** | **${ms(b.p99 - f.p99)}** |`;
  });
  return [
    '| runs in flight | broker p50 ms | broker p99 ms | floor p50 ms | floor p99 ms | overhead p50 ms | overhead p99 ms |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ];
}

function report(
  p1: Array<{ inFlight: number; broker: Latency[]; floor: Latency[] }>,
  p1b: P1b,
  db: string,
): string {
  const rate = (xs: Measured[]) => Math.round(median(xs.map((x) => x.rate)));
  const rates = (xs: Measured[]) => xs.map((x) => Math.round(x.rate)).join(', ');
  const ratios = (xs: Measured[], floors: Measured[]) => {
    const each = xs.map((x, i) => x.rate / floors[i]!.rate);
    return `**${median(each).toFixed(2)}** (${each.map((r) => r.toFixed(2)).join(', ')})`;
  };
  const cpu = (xs: Measured[], what: keyof Measured['cpu']) => median(xs.map((x) => x.cpu[what])).toFixed(2);
  const total = (xs: Measured[], floor: boolean) =>
    median(
      xs.map((x) =>
        floor
          ? x.cpu.nats + x.cpu.emulator + x.cpu.script
          : x.cpu.brokers + (Number.isNaN(x.cpu.postgres) ? 0 : x.cpu.postgres) + x.cpu.nats + x.cpu.emulator + x.cpu.script,
      ),
    ).toFixed(2);
  const cpuRow = (label: string, xs: Measured[], floors: Measured[] | null) =>
    `| ${label} | ${rate(xs)} | ${rates(xs)} | ${floors ? ratios(xs, floors) : '1.00'} | ${floors ? cpu(xs, 'brokers') : '-'} | ${floors ? cpu(xs, 'postgres') : '-'} | ${cpu(xs, 'nats')} | ${cpu(xs, 'emulator')} | ${cpu(xs, 'script')} | ${total(xs, !floors)} |`;
  const label = {
    default: {
      floor: 'floor: the default integration\'s AssumeRole + NATS round trip',
      broker: 'broker, default integration',
    },
    tagged: {
      floor: 'floor: AssumeRole with 5 session tags, their transitive keys and SourceIdentity + NATS round trip',
      broker: 'broker, integration with session tagging and SourceIdentity',
    },
  };
  const rows = (replicas: 1 | 2) =>
    CONFIGS.flatMap((config) => [
      cpuRow(`${label[config].floor}, with ${replicas} ${replicas === 1 ? 'replica' : 'replicas'} idle`, p1b[replicas][config].floor, null),
      cpuRow(`${label[config].broker}, ${replicas} ${replicas === 1 ? 'replica' : 'replicas (CPU: both)'}`, p1b[replicas][config].broker, p1b[replicas][config].floor),
    ]);
  const scaling = CONFIGS.map((config) => {
    const one = median(p1b[1][config].broker.map((x) => x.rate));
    const two = median(p1b[2][config].broker.map((x) => x.rate));
    return `${config} **${(two / one).toFixed(2)}x**`;
  }).join(', ');
  const p1Rows = THROUGHPUT_ONLY ? ['(P1 latency levels not measured in this run: --throughput-only)'] : p1Table(p1);
  return [
    '## P1 / P1b: run event -> sealed delivery; issuances per second (bench/credential-broker.bench.ts)',
    '',
    `- date: ${new Date().toISOString()}`,
    `- machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    `- command: \`node tools/build.mjs && node dist/bench/credential-broker.bench.js --runs ${RUNS}${THROUGHPUT_ONLY ? ' --throughput-only' : ''} --write\``,
    `- every process on this one machine: nats-server, aws-emulator (own process), broker replica(s) (own processes, ${db}), this script (publisher, worker, resolve responder)`,
    `- medians over ${RUNS} runs; each run measures the floor and the broker at each level back to back`,
    '',
    ...p1Rows,
    '',
    `P1b, ${THROUGHPUT_EVENTS} events published at once, for each of the bench's two integrations beside the floor making the same AssumeRole (${FLOOR_IN_FLIGHT} floor calls in flight, ${THROUGHPUT_EVENTS} of them) in the same run, after unmeasured rounds (per integration, one of the floor and one of the broker per replica); ratio to the floor as the median of the runs' (each run's in brackets); CPU ms per issuance (or floor call) of each process, from /proc/<pid>/stat (PostgreSQL: the postmaster and all its backends; the floor's total leaves out the idle replicas and PostgreSQL):`,
    '',
    '| measure | median /s | runs | median ratio to the floor beside it | broker CPU ms | PostgreSQL CPU ms | nats-server CPU ms | emulator CPU ms | script CPU ms | all processes CPU ms |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows(1),
    ...rows(2),
    '',
    `2 replicas / 1 replica: ${scaling}.`,
    '',
    'Targets: P1 overhead p50 <= 2 ms, p99 <= 10 ms; issue 16: 1 replica >= 0.5 of the floor (the same AssumeRole), 2 replicas >= 1.7x of 1',
    '(else CPU ms per issuance flat from 1 to 2 replicas). Every process shares this machine\'s cores, so the',
    'ratios and CPU per issuance, not the absolute rates, are the figures to compare.',
  ].join('\n');
}

function writeSection(section: string): void {
  const start = '<!-- P1:credential-broker:start -->';
  const end = '<!-- P1:credential-broker:end -->';
  const current = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Benchmark results\n';
  const block = `${start}\n${section}\n${end}`;
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next =
    from >= 0 && to > from
      ? `${current.slice(0, from)}${block}${current.slice(to + end.length)}`
      : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(RESULTS, next);
  console.log(`\nwrote the P1 section of ${RESULTS}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
