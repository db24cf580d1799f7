// P4 (bench/RESULTS.md): OIDC tokens issued per second through NATS vs raw jose signing.
//
//   node tools/build.mjs && node dist/bench/oidc-issue.bench.js [--runs 5] [--tokens N (default 16 per token in flight, at least 2000)] [--concurrency 32,128,512] [--write]
//   node --cpu-prof dist/bench/oidc-issue.bench.js --only raw,batched   # profiles this process and the service
//
// Five rates, each the median of --runs runs of --tokens tokens, at each --concurrency level (tokens in flight;
// a comma-separated list, each level measured and reported on its own: 32 is latency-bound, 128 is one broker
// replica's run events in flight, 512 several replicas' asking one issuer, i.e. its throughput at saturation):
//   raw     jose ES256 signing of a runtrail token's claims in one process (the floor P4 names);
//   sealed  the same signing plus what oidc.v1.issue's contract adds in any transport: a one-shot
//           reply key (P-256), sealing the token to it (ECDH-ES+A256KW/A256GCM) and opening it;
//   nats    MessageBus.request('oidc.v1.issue') to the real service in a child process, as the broker
//           asks: its reply key rotated every 5 minutes (RotatingSealingKeyPair), so the issuer's
//           SealingSession and open's KEK memory leave AES per token on both sides;
//   oneshot the same request with a one-shot reply key per token (the verifier, an older broker);
//   batched the broker's real client (OidcTokenBatcher of libs/credential-broker): the tokens asked
//           together go as one oidc.v1.issue.batch (up to 64, one reply key), sealed together as one JWE
//           (sealTogether).
// Beside each rate, CPU ms per token: this process's plus the service's (/proc/<pid>/stat), the service's share
// and nats-server's.
// --write replaces the P4 section of bench/RESULTS.md.
import { IssueTokenRequest, type RequestOf } from '@runtrail/contracts';
import { OidcTokenBatcher } from '@runtrail/credential-broker';
import { connectNats, MessageBus } from '@runtrail/messaging';
import { generateSealingKeyPair, open, RotatingSealingKeyPair, seal } from '@runtrail/sealing';
import { freePort, startNatsServer } from '@runtrail/testing';
import { CompactSign, generateKeyPair } from 'jose';
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';

const args = process.argv.slice(2);
const option = (name: string): number | undefined => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : undefined;
};
const RUNS = option('runs') ?? 5;
/**
 * Tokens per measured run: `--tokens`, or by default 16 times the level's in-flight count and at least 2,000, so
 * that a run's start (the first batches filling) and its drain (the last ones with the pipeline emptying) stay
 * a small part of it: at 512 in flight, runs of 4,000 read the batched path 10-20% lower than runs of 8,000.
 */
const TOKENS_OPTION = option('tokens');
const tokensAt = (concurrency: number) => TOKENS_OPTION ?? Math.max(2000, 16 * concurrency);
const LEVELS = (args.includes('--concurrency') ? args[args.indexOf('--concurrency') + 1]! : '32,128,512')
  .split(',')
  .map((level) => {
    const n = Number(level);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--concurrency: "${level}" is not a positive whole number of tokens in flight`);
    return n;
  });
/** `--only raw,batched`: just these measures (to profile one path); the report needs all five. */
const ONLY = args.includes('--only') ? args[args.indexOf('--only') + 1]!.split(',') : undefined;
const RESULTS = resolve(__dirname, '../../bench/RESULTS.md');

const REQUEST: Omit<RequestOf<typeof IssueTokenRequest>, 'replyKey'> = {
  account: 'acme',
  spaceId: 'root',
  callerType: 'stack',
  callerId: '01HZY1V6QK3M7W3X9T2B5C8D4E',
  runType: 'TRACKED',
  runId: '01DSJ63P40BAZY4VW8BXXG7M4K',
  scope: 'write',
  sessionTags: { run: '01DSJ63P40BAZY4VW8BXXG7M4K', caller: 'network', space: 'root', account: 'acme', scope: 'write' },
};

/** CPU ms (user + system) a process has used so far, from /proc/<pid>/stat (clock ticks of 10 ms). */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

let servicePid = 0;
let natsPid = 0;

/** CPU ms per token of each process: this script (client), the service, nats-server. */
interface Cpu {
  total: number;
  service: number;
  nats: number;
}

/** Tokens per second of `one` run `tokens` times with `concurrency` in flight, and CPU ms per token. */
async function rate(one: () => Promise<unknown>, concurrency: number, tokens = tokensAt(concurrency)): Promise<{ rate: number; cpu: Cpu }> {
  let started = 0;
  const cpu0 = process.cpuUsage();
  const service0 = processCpuMs(servicePid);
  const nats0 = processCpuMs(natsPid);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started++ < tokens) await one();
    }),
  );
  const wall = performance.now() - t0;
  const own = process.cpuUsage(cpu0);
  const serviceMs = processCpuMs(servicePid) - service0;
  const cpuMs = (own.user + own.system) / 1000 + serviceMs;
  const natsMs = processCpuMs(natsPid) - nats0;
  return { rate: (tokens / wall) * 1000, cpu: { total: cpuMs / tokens, service: serviceMs / tokens, nats: natsMs / tokens } };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The claims the service signs (same shape and size), for the in-process floors. */
function claims(): Uint8Array {
  const now = Math.floor(Date.now() / 1000);
  const body = {
    iss: 'http://127.0.0.1:8084/oidc/acme',
    sub: 'space:root:stack:01HZY1V6QK3M7W3X9T2B5C8D4E:run_type:TRACKED:scope:write',
    aud: 'sts.amazonaws.com',
    iat: now,
    nbf: now,
    exp: now + 3600,
    jti: randomUUID(),
    ...REQUEST,
    'https://aws.amazon.com/tags': { principal_tags: { run: [REQUEST.runId] }, transitive_tag_keys: ['run'] },
    'https://aws.amazon.com/source_identity': REQUEST.runId,
  };
  return new TextEncoder().encode(JSON.stringify(body));
}

function startService(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  return new Promise((ready, fail) => {
    const child = fork(join(__dirname, 'oidc-issue.service.js'), [], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', () => ready(child));
    child.once('exit', (code) => fail(new Error(`the service exited with ${code}`)));
  });
}

async function main(): Promise<void> {
  const nats = await startNatsServer();
  const dataDir = mkdtempSync(join(tmpdir(), 'runtrail-bench-oidc-'));
  const port = await freePort();
  const service = await startService({
    ...process.env,
    NATS_URL: nats.url,
    PORT: String(port),
    DATABASE_URL: `sqlite:${join(dataDir, 'oidc.sqlite')}`,
    OIDC_PUBLIC_URL: `http://127.0.0.1:${port}`,
    OIDC_KEK: randomBytes(32).toString('base64'),
    OTEL_SDK_DISABLED: 'true',
  });
  servicePid = service.pid!;
  natsPid = nats.pid;
  // Connected as the broker connects (connectNats: no async traces, i.e. no Error objects per request).
  const nc = await connectNats({ servers: nats.url, name: 'oidc-issue-bench' });
  const bus = new MessageBus(nc);
  const { privateKey } = await generateKeyPair('ES256');
  const tokenText = z.string();

  const raw = () => new CompactSign(claims()).setProtectedHeader({ alg: 'ES256', kid: 'bench', typ: 'JWT' }).sign(privateKey);
  const sealed = async () => {
    const pair = await generateSealingKeyPair();
    return open(await seal(await raw(), pair.publicJwk), pair.privateKey, tokenText);
  };
  const issueWith = async (pair: Awaited<ReturnType<typeof generateSealingKeyPair>>) => {
    const reply = await bus.request(IssueTokenRequest, { ...REQUEST, replyKey: pair.publicJwk });
    return open(reply.sealedToken, pair.privateKey, tokenText);
  };
  const replyKeys = new RotatingSealingKeyPair({ ttlMs: 5 * 60_000 });
  const overNats = async () => issueWith(await replyKeys.get());
  const oneShot = async () => issueWith(await generateSealingKeyPair());
  const batcher = new OidcTokenBatcher(bus, { replyKeyTtlMs: 5 * 60_000 });
  const batched = () => batcher.token(REQUEST);

  const measures = (
    [
      ['raw', raw],
      ['sealed', sealed],
      ['nats', overNats],
      ['oneshot', oneShot],
      ['batched', batched],
    ] as [Measure, () => Promise<unknown>][]
  ).filter(([name]) => !ONLY || ONLY.includes(name));
  const cpuText = (c: Cpu) => `${c.total.toFixed(3)} cpu-ms (service ${c.service.toFixed(3)}, nats-server ${c.nats.toFixed(3)})`;
  const levels: Level[] = [];
  for (const concurrency of LEVELS) {
    const rates: Record<Measure, number[]> = { raw: [], sealed: [], nats: [], oneshot: [], batched: [] };
    const cpu: Record<Measure, Cpu[]> = { raw: [], sealed: [], nats: [], oneshot: [], batched: [] };
    // Warm-up at this level: JIT, key imports, the service's first key load and NATS subscriptions; 1,000
    // tokens each (200 left the first measured run of the NATS paths about a third slower).
    for (const [, one] of measures) await rate(one, concurrency, 1000);
    for (let run = 0; run < RUNS; run++) {
      // Interleaved, so drift on a shared machine hits all measures alike.
      for (const [name, one] of measures) {
        const measured = await rate(one, concurrency);
        rates[name].push(measured.rate);
        cpu[name].push(measured.cpu);
      }
      console.log(
        `${concurrency} in flight, run ${run + 1}/${RUNS}: ${measures.map(([n]) => `${n} ${rates[n].at(-1)!.toFixed(0)}/s ${cpuText(cpu[n].at(-1)!)}`).join(', ')}`,
      );
    }
    levels.push({ concurrency, rates, cpu });
  }
  await nc.drain();
  service.disconnect();
  await new Promise((done) => service.once('exit', done));
  await nats.stop();
  rmSync(dataDir, { recursive: true, force: true });

  if (ONLY) return;
  const section = report(levels);
  console.log(`\n${section}`);
  if (args.includes('--write')) writeSection(section);
}

type Measure = 'raw' | 'sealed' | 'nats' | 'oneshot' | 'batched';

/** One level's measures: tokens per second and CPU per token of each run. */
interface Level {
  concurrency: number;
  rates: Record<Measure, number[]>;
  cpu: Record<Measure, Cpu[]>;
}

function report(levels: Level[]): string {
  const cpu = cpus();
  return [
    '## P4: OIDC tokens issued per second (bench/oidc-issue.bench.ts)',
    '',
    `- date: ${new Date().toISOString()}`,
    `- machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
    `- command: \`node tools/build.mjs && node dist/bench/oidc-issue.bench.js --runs ${RUNS}${TOKENS_OPTION ? ` --tokens ${TOKENS_OPTION}` : ''} --concurrency ${LEVELS.join(',')}\``,
    `- at each level, ${RUNS} runs of ${LEVELS.map(tokensAt).join(' / ')} ES256 tokens (by level) with that many in flight, the five measures interleaved; the service in its own process (SQLite), one local nats-server; CPU ms per token = this process's CPU + the service's (/proc/<pid>/stat, 10 ms ticks) over the tokens; the service's share and nats-server's (not in the sum) beside it`,
    ...levels.flatMap((level) => ['', ...levelTable(level)]),
  ].join('\n');
}

function levelTable({ concurrency, rates, cpu: cpuMs }: Level): string[] {
  const ms = (name: Measure, of: keyof Cpu) => median(cpuMs[name].map((c) => c[of])).toFixed(3);
  const row = (label: string, name: Measure, ratioText: string) =>
    `| ${label} | ${fmt(median(rates[name]))} | ${all(rates[name])} | ${ms(name, 'total')} | ${name === 'raw' || name === 'sealed' ? '-' : ms(name, 'service')} | ${ms(name, 'nats')} | ${ratioText} |`;
  const fmt = (n: number) => n.toFixed(0);
  const all = (xs: number[]) => xs.map(fmt).join(', ');
  // Ratios run by run (each against the floor measured beside it), then their median.
  const ratio = (xs: number[], floor: number[]) => median(xs.map((x, i) => x / floor[i]!)).toFixed(2);
  return [
    `**${concurrency} tokens in flight**`,
    '',
    '| measure | median tokens/s | runs | median CPU ms per token (client + service) | of which the service | nats-server CPU ms per token | median per-run ratio to raw signing |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: |',
    row('raw jose signing, one process (P4 floor)', 'raw', '1.00'),
    row('sign + one-shot reply key + seal + open, one process', 'sealed', ratio(rates.sealed, rates.raw)),
    row("oidc.v1.issue over NATS as the broker asks (reply key rotated every 5 min)", 'nats', `**${ratio(rates.nats, rates.raw)}**`),
    row('oidc.v1.issue over NATS with a one-shot reply key per token (verifier, older broker)', 'oneshot', ratio(rates.oneshot, rates.raw)),
    row(
      "oidc.v1.issue over NATS as the broker asks, batched (the broker's OidcTokenBatcher: oidc.v1.issue.batch, up to 64 tokens, sealed together as one JWE)",
      'batched',
      `**${ratio(rates.batched, rates.raw)}**`,
    ),
  ];
}

/** Replaces this benchmark's section of bench/RESULTS.md (between its markers), leaving others alone. */
function writeSection(section: string): void {
  const start = '<!-- P4:oidc-issue:start -->';
  const end = '<!-- P4:oidc-issue:end -->';
  const header = '# Benchmark results\n\nFigures from the scripts in bench/ (see PERFORMANCE.md for the targets). Each section is owned by its script.\n';
  const current = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : header;
  const block = `${start}\n${section}\n${end}`;
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next = from >= 0 && to > from ? `${current.slice(0, from)}${block}${current.slice(to + end.length)}` : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(RESULTS, next);
  console.log(`\nwrote the P4 section of ${RESULTS}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
