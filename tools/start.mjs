#!/usr/bin/env node
// `npm start`: runtrail on its embedded default. Builds if needed, then starts a local nats-server
// (JetStream, deploy/nats/auth.conf with passwords made for this start), the aws-emulator and the
// `standalone` app (all five services, SQLite under .data/), waits until everything is ready,
// prints the URLs and runs a short demo. Ctrl-C stops it all.
// NATS_URL=<url> npm start uses that server instead of starting one (development on an open
// server: every process logs in with the caller's NATS_* variables, or none, and warns).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = resolve(process.env.RUNTRAIL_DATA_DIR ?? join(root, '.data'));
const children = [];
let stopping = false;

/** A path under the repository relative to it, any other as is. */
function shown(path) {
  return path.startsWith(root) ? relative(root, path) : path;
}

function log(line) {
  process.stdout.write(`[runtrail] ${line}\n`);
}

function fail(message) {
  process.stderr.write(`[runtrail] ${message}\n`);
  stop(1);
}

function portFree(port) {
  return new Promise((res) => {
    const server = createServer();
    server.once('error', () => res(false));
    server.listen(port, '127.0.0.1', () => server.close(() => res(true)));
  });
}

async function pickPort(preferred) {
  if (await portFree(preferred)) return preferred;
  return new Promise((res) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => res(port));
    });
  });
}

function start(name, command, args, env = {}) {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (stream, target) =>
    stream.on('data', (chunk) => {
      for (const line of chunk.toString().split('\n')) if (line.trim()) target.write(`[${name}] ${line}\n`);
    });
  prefix(child.stdout, process.stdout);
  prefix(child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    if (!stopping) fail(`${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping everything`);
  });
  children.push({ name, child });
  return child;
}

function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  log('stopping...');
  const alive = children.filter(({ child }) => child.exitCode === null && child.signalCode === null).reverse();
  let pending = alive.length;
  if (!pending) process.exit(code);
  const force = setTimeout(() => {
    for (const { child } of alive) child.kill('SIGKILL');
  }, 8000);
  for (const { name, child } of alive) {
    child.once('exit', () => {
      log(`${name} stopped`);
      if (--pending === 0) {
        clearTimeout(force);
        process.exit(code);
      }
    });
    child.kill('SIGTERM');
  }
}

async function waitFor(what, url, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline && !stopping) {
    try {
      const res = await fetch(url);
      last = `${res.status} ${await res.text()}`;
      if (res.ok) return JSON.parse(last.slice(4) || '{}');
    } catch (error) {
      last = error.message;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  fail(`${what} was not ready within ${timeoutMs / 1000}s (last answer: ${last})`);
  return new Promise(() => {});
}

/** `runtrail nats setup` from the build as `login`, retried while nats-server is still starting. */
async function natsSetup(url, login) {
  const deadline = Date.now() + 15_000;
  const workers = POOL_WORKERS.flatMap((w) => ['--worker', w]);
  for (;;) {
    const setup = spawnSync(process.execPath, ['dist/apps/cli/src/main.js', 'nats', 'setup', '--nats', url, ...workers], {
      cwd: root,
      env: { ...process.env, ...login },
      encoding: 'utf8',
    });
    if (setup.status === 0) return log('streams ready (runtrail nats setup)');
    if (Date.now() > deadline || stopping) return fail(`runtrail nats setup failed: ${setup.stderr || setup.stdout}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The worker ids deploy/nats/auth.conf gives pool worker-pool-default; the demo runs as the first. */
const POOL_WORKERS = ['worker-01', 'worker-02', 'worker-03'];
const POOL_USER = 'worker-pool-default';

/**
 * A fresh random password for every user of deploy/nats/auth.conf (never printed). Kept for this
 * start in .data/nats-passwords.env (mode 600) for whoever runs another `runtrail exec` or the
 * nats CLI against this server; the next start replaces them.
 */
function natsPasswords() {
  const auth = readFileSync(join(root, 'deploy/nats/auth.conf'), 'utf8');
  const names = [...new Set(auth.match(/\$NATS_PASSWORD_[A-Z0-9_]+/g) ?? [])].map((v) => v.slice(1));
  const passwords = Object.fromEntries(names.map((n) => [n, natsSafePassword()]));
  const file = join(dataDir, 'nats-passwords.env');
  rmSync(file, { force: true });
  writeFileSync(file, Object.entries(passwords).map(([n, p]) => `${n}=${p}\n`).join(''), { mode: 0o600 });
  return passwords;
}

/** NATS_USER and NATS_PASSWORD of `user` (auth mode), or the caller's own NATS_* (external server). */
function natsLogin(user) {
  if (!passwords) return {};
  return { NATS_USER: user, NATS_PASSWORD: passwords[`NATS_PASSWORD_${user.replace(/-/g, '_').toUpperCase()}`], NATS_CREDS: '', NATS_INBOX_PREFIX: '' };
}

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

const nats = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).stdout.trim();
if (!nats) fail('nats-server is not installed. Install it with: sudo apt-get install -y nats-server');

log('building (incremental)...');
const build = spawnSync(process.execPath, [join(root, 'tools/build.mjs')], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) fail('build failed');

mkdirSync(join(dataDir, 'nats'), { recursive: true });
const externalNats = process.env.NATS_URL;
const natsPort = externalNats ? null : await pickPort(Number(process.env.RUNTRAIL_NATS_PORT ?? 4222));
const natsUrl = externalNats ?? `nats://127.0.0.1:${natsPort}`;
const passwords = externalNats ? null : natsPasswords();
const emulatorPort = await pickPort(Number(process.env.RUNTRAIL_EMULATOR_PORT ?? 4566));
const appPort = await pickPort(Number(process.env.PORT ?? 8080));
const seedFile = join(root, 'deploy/emulator/seed.json');

if (!externalNats) {
  // deploy/nats/auth.conf's users and permissions (compose.conf includes only that), with this
  // start's passwords; the server alone gets them all.
  const config = ['-c', join(root, 'deploy/nats/compose.conf')];
  start('nats', nats, [...config, '-js', '-a', '127.0.0.1', '-p', String(natsPort), '-sd', join(dataDir, 'nats')], passwords);
}
// The operator's step, as production runs it, as runtrail-admin: services only wait for their
// streams, the pool's workers read only the consumers made here.
await natsSetup(natsUrl, natsLogin('runtrail-admin'));
start('aws-emulator', process.execPath, ['dist/apps/aws-emulator/src/main.js', '--port', String(emulatorPort), '--seed', seedFile]);
await waitFor('aws-emulator', `http://127.0.0.1:${emulatorPort}/_emulator/health`);

// runtrail's own AWS identity on the embedded default is the seed's platform user.
const seed = JSON.parse(readFileSync(seedFile, 'utf8'));
const platformUser = seed.accounts.flatMap((a) => a.users ?? []).find((u) => u.name === 'runtrail');
const platformKey = platformUser?.accessKeys?.[0];

// The OIDC issuer's key-encryption key: generated once for this machine, kept beside the SQLite
// files (mode 600). Production supplies OIDC_KEK from a secret store instead.
const kekFile = join(dataDir, 'oidc-kek');
if (!existsSync(kekFile)) writeFileSync(kekFile, randomBytes(32).toString('base64'), { mode: 0o600 });

// Account bootstrap for the demo below (and for whoever holds this start's token).
const bootstrapToken = process.env.INTEGRATIONS_BOOTSTRAP_TOKEN ?? randomBytes(24).toString('hex');

const appEnv = {
  INTEGRATIONS_BOOTSTRAP_TOKEN: bootstrapToken,
  // One SQLite file per service inside the data folder (the trailing slash asks for that).
  ...(process.env.DATABASE_URL ? {} : { DATABASE_URL: `sqlite:${dataDir}/` }),
  OIDC_PUBLIC_URL: process.env.OIDC_PUBLIC_URL ?? `http://127.0.0.1:${appPort}`,
  OIDC_KEK: process.env.OIDC_KEK ?? readFileSync(kekFile, 'utf8').trim(),
  NATS_URL: natsUrl,
  // The single-process user: the five services' permissions, nothing more (deploy/nats/auth.conf).
  ...natsLogin('standalone'),
  PORT: String(appPort),
  AWS_ENDPOINT_URL: `http://127.0.0.1:${emulatorPort}`,
  AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
  ...(platformKey ? { AWS_ACCESS_KEY_ID: platformKey.accessKeyId, AWS_SECRET_ACCESS_KEY: platformKey.secretAccessKey } : {}),
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  OTEL_SDK_DISABLED: process.env.OTEL_SDK_DISABLED ?? (process.env.OTEL_EXPORTER_OTLP_ENDPOINT ? 'false' : 'true'),
};
if (!existsSync(join(root, 'dist/apps/standalone/src/main.js'))) fail('dist/apps/standalone is missing after the build');
start('standalone', process.execPath, ['--enable-source-maps', 'dist/apps/standalone/src/main.js'], appEnv);
const ready = await waitFor('standalone', `http://127.0.0.1:${appPort}/health/ready`);

log('');
log(`runtrail is up (embedded default: SQLite in ${shown(dataDir)}/, ${externalNats ? 'NATS at NATS_URL' : 'local nats-server'}, aws-emulator)`);
log(`  API + health   http://127.0.0.1:${appPort}   (ready: ${Object.entries(ready.checks).map(([k, v]) => `${k}=${v}`).join(' ')})`);
log(`  NATS           ${natsUrl}   ${passwords ? `(auth on: this start's passwords in ${shown(join(dataDir, 'nats-passwords.env'))})` : '(external server)'}`);
log(`  aws-emulator   http://127.0.0.1:${emulatorPort}`);
log('Press Ctrl-C to stop.');
// Machine-readable line for scripts and tests that drive `npm start`.
log(`pids ${JSON.stringify(Object.fromEntries(children.map(({ name, child }) => [name, child.pid])))}`);

// The main job, end to end: an account, a stack and an integration on the emulator's demo role
// (attached for plan and apply), then `runtrail exec` acting as the scheduler of a tracked run.
async function api(method, path, key, body) {
  const res = await fetch(`http://127.0.0.1:${appPort}/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function demoKey() {
  const keyFile = join(dataDir, 'demo-acme-api-key');
  if (existsSync(keyFile)) return readFileSync(keyFile, 'utf8').trim();
  const created = await api('POST', '/accounts', bootstrapToken, { slug: 'acme' });
  if (created.status !== 201) throw new Error(`creating account acme answered ${created.status}: ${JSON.stringify(created.body)}`);
  // Shown once by the API: kept beside the SQLite files (mode 600) so the next start reuses it.
  writeFileSync(keyFile, created.body.apiKey.key, { mode: 0o600 });
  return created.body.apiKey.key;
}

/** A `scheduler` key of acme for the runs API (what `runtrail exec --publish-phases` needs), reused across starts. */
async function schedulerKey(adminKey) {
  const keyFile = join(dataDir, 'demo-acme-scheduler-key');
  if (existsSync(keyFile)) return readFileSync(keyFile, 'utf8').trim();
  const created = await api('POST', '/api-keys', adminKey, { name: 'demo-scheduler', role: 'scheduler' });
  if (created.status !== 201) throw new Error(`creating a scheduler key answered ${created.status}: ${JSON.stringify(created.body)}`);
  writeFileSync(keyFile, created.body.key, { mode: 0o600 });
  return created.body.key;
}

async function findOrCreate(key, listPath, match, createPath, body) {
  const list = await api('GET', listPath, key);
  const items = Array.isArray(list.body) ? list.body : (list.body?.items ?? []);
  const found = items.find(match);
  if (found) return found;
  const created = await api('POST', createPath, key, body);
  if (created.status !== 201) throw new Error(`POST ${createPath} answered ${created.status}: ${JSON.stringify(created.body)}`);
  return created.body;
}

async function demo() {
  const key = await demoKey();
  const stack = await findOrCreate(key, '/callers', (c) => c.slug === 'demo-network', '/callers', { type: 'stack', slug: 'demo-network' });
  const roleArn = 'arn:aws:iam::222222222222:role/runtrail-demo';
  const integration = await findOrCreate(key, '/integrations', (i) => i.name === 'demo', '/integrations', {
    name: 'demo',
    roleArn,
    durationSeconds: 900,
    region: 'us-east-1',
    sessionTagging: true,
    sourceIdentity: true,
  });
  await findOrCreate(
    key,
    `/attachments?integrationId=${integration.id}&callerId=${stack.id}`,
    (a) => a.caller?.id === stack.id,
    `/integrations/${integration.id}/attachments`,
    { callerId: stack.id, read: true, write: true },
  );
  const runId = spawnSync(process.execPath, ['-e', "process.stdout.write(require('ulid').ulid())"], { cwd: root, encoding: 'utf8' }).stdout;
  const endpoint = `http://127.0.0.1:${emulatorPort}`;
  const command = existsSync('/usr/bin/aws')
    ? ['/usr/bin/aws', '--endpoint-url', endpoint, 'sts', 'get-caller-identity', '--output', 'json']
    : [process.execPath, '-e', "new (require('@aws-sdk/client-sts').STSClient)({region:'us-east-1'}).send(new (require('@aws-sdk/client-sts').GetCallerIdentityCommand)({})).then((r)=>console.log(JSON.stringify(r)))"];
  const args = ['dist/apps/cli/src/main.js', 'exec', '--run', runId, '--worker', POOL_WORKERS[0], '--publish-phases', '--account', 'acme'];
  args.push('--stack', stack.id, '--caller-slug', 'demo-network', '--nats', natsUrl, '--timeout', '30', '--', ...command);
  log(`demo: runtrail exec --run ${runId} --publish-phases --account acme --stack ${stack.id} -- ${command.slice(0, 2).join(' ')} ... sts get-caller-identity`);
  // A worker of pool worker-pool-default, and a scheduler holding the runs API's URL and a key.
  const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('RUNTRAIL_')));
  const env = {
    ...cleanEnv,
    ...natsLogin(POOL_USER),
    RUNTRAIL_URL: `http://127.0.0.1:${appPort}`,
    RUNTRAIL_API_KEY: await schedulerKey(key),
    AWS_ENDPOINT_URL: endpoint,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const exec = spawn(process.execPath, args, { cwd: root, env });
  let out = '';
  exec.stdout.on('data', (c) => (out += c));
  exec.stderr.on('data', (c) => String(c).split('\n').filter(Boolean).forEach((line) => log(`demo: ${line}`)));
  const code = await new Promise((r) => exec.on('close', r));
  if (code !== 0) throw new Error(`runtrail exec exited with ${code}: ${out}`);
  log(`demo: the command ran as ${JSON.parse(out).Arn} (session <runId>@demo-network@acme)`);
}

if (process.env.RUNTRAIL_DEMO !== 'false') {
  demo().then(
    () => log('demo: done'),
    (error) => log(`demo: failed: ${error.message} (runtrail keeps running; RUNTRAIL_DEMO=false skips the demo)`),
  );
}

/**
 * nats-server reads a `$VARIABLE` in its config as a config value: one starting with a digit or `-`
 * parses as a number (and fails), `true`/`no`/… as a boolean. A letter, then hex, is always a string.
 */
function natsSafePassword() {
  return `p${randomBytes(24).toString('hex')}`;
}
