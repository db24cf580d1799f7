#!/usr/bin/env node
// `npm start`: runtrail on its embedded default. Builds if needed, then starts a local nats-server
// (JetStream, deploy/nats/auth.conf with passwords made for this start), the aws-emulator and the
// `standalone` app (all five services, SQLite under .data/), waits until everything is ready,
// prints the URLs and shows the whole loop once (see demo() below). Ctrl-C stops it all.
// Each service logs to .data/logs/<service>.log; `npm start -- --verbose` also streams the logs here.
// NATS_URL=<url> npm start uses that server instead of starting one (development on an open
// server: every process logs in with the caller's NATS_* variables, or none, and warns).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = resolve(process.env.RUNTRAIL_DATA_DIR ?? join(root, '.data'));
const logDir = join(dataDir, 'logs');
const verbose = process.argv.slice(2).includes('--verbose');
const children = [];
/** Short-lived processes of the demo (exec, the CLI): stopped with everything else. */
const helpers = new Set();
let stopping = false;

/** A path under the repository relative to it, any other as is. */
function shown(path) {
  return path.startsWith(`${root}/`) ? relative(root, path) : path;
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

/** How many of a service's last log lines are kept to show when it exits unexpectedly. */
const TAIL_LINES = 20;

/**
 * Starts a service whose output goes to .data/logs/<name>.log (appended, one header line per
 * start) and, with --verbose, to this terminal prefixed with its name. An unexpected exit stops
 * everything and shows the log's last lines.
 */
function start(name, command, args, env = {}) {
  const file = join(logDir, `${name}.log`);
  const out = createWriteStream(file, { flags: 'a' });
  out.write(`----- npm start ${new Date().toISOString()} -----\n`);
  const tail = [];
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const follow = (stream, target) => {
    let partial = '';
    stream.on('data', (chunk) => {
      out.write(chunk);
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        if (verbose) target.write(`[${name}] ${line}\n`);
      }
    });
  };
  follow(child.stdout, process.stdout);
  follow(child.stderr, process.stderr);
  child.on('close', (code, signal) => {
    if (stopping) return;
    const last = tail.length ? `; its last lines:\n${tail.map((l) => `  ${l}`).join('\n')}` : '';
    fail(`${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping everything. Its log: ${shown(file)}${last}`);
  });
  children.push({ name, child, out });
  return child;
}

/** SIGTERM, and SIGKILL if `child` is still there after `graceMs`; resolves once it exited. */
function stopChild({ name, child }, graceMs = 10_000) {
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) return res();
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(force);
      log(`${name} stopped`);
      res();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Stops the app first, while NATS is still up for it to drain its connection, then the emulator
 * and nats-server. The services run in their own process groups, so a terminal's Ctrl-C reaches
 * only this process and the order holds.
 */
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  log('stopping...');
  for (const helper of helpers) helper.kill('SIGTERM');
  const app = children.filter(({ name }) => name === 'standalone');
  const rest = children.filter(({ name }) => name !== 'standalone').reverse();
  Promise.all(app.map((c) => stopChild(c)))
    .then(() => Promise.all(rest.map((c) => stopChild(c))))
    .then(() => {
      let open = children.length;
      if (!open) process.exit(code);
      for (const { out } of children) out.end(() => --open === 0 && process.exit(code));
    });
}

// Whatever ends this process (an uncaught error included), no service outlives it.
process.on('exit', () => {
  for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

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
// A closed terminal window: stop everything as Ctrl-C does (and write nowhere once it is gone).
process.on('SIGHUP', () => stop(0));
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

const nats = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).stdout.trim();
if (!nats) fail('nats-server is not installed. Install it with: sudo apt-get install -y nats-server');

log('building (incremental)...');
const build = spawnSync(process.execPath, [join(root, 'tools/build.mjs')], { cwd: root, encoding: 'utf8' });
if (build.status !== 0) fail(`build failed:\n${build.stdout}${build.stderr}`);
else if (verbose) process.stdout.write(build.stdout);

mkdirSync(join(dataDir, 'nats'), { recursive: true });
mkdirSync(logDir, { recursive: true });
const externalNats = process.env.NATS_URL;
const natsPort = externalNats ? null : await pickPort(Number(process.env.RUNTRAIL_NATS_PORT ?? 4222));
const natsUrl = externalNats ?? `nats://127.0.0.1:${natsPort}`;
const passwords = externalNats ? null : natsPasswords();
const emulatorPort = await pickPort(Number(process.env.RUNTRAIL_EMULATOR_PORT ?? 4566));
const appPort = await pickPort(Number(process.env.PORT ?? 8080));
const seedFile = join(root, 'deploy/emulator/seed.json');
const appUrl = `http://127.0.0.1:${appPort}`;
const emulatorUrl = `http://127.0.0.1:${emulatorPort}`;

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
await waitFor('aws-emulator', `${emulatorUrl}/_emulator/health`);

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

/** How often audit reads a trail source here: the emulator records calls at once, so a few seconds shows a run's calls within the demo. */
const auditPollIntervalMs = process.env.AUDIT_POLL_INTERVAL_MS ?? '3000';

const appEnv = {
  INTEGRATIONS_BOOTSTRAP_TOKEN: bootstrapToken,
  // One SQLite file per service inside the data folder (the trailing slash asks for that).
  ...(process.env.DATABASE_URL ? {} : { DATABASE_URL: `sqlite:${dataDir}/` }),
  OIDC_PUBLIC_URL: process.env.OIDC_PUBLIC_URL ?? appUrl,
  OIDC_KEK: process.env.OIDC_KEK ?? readFileSync(kekFile, 'utf8').trim(),
  NATS_URL: natsUrl,
  // The single-process user: the five services' permissions, nothing more (deploy/nats/auth.conf).
  ...natsLogin('standalone'),
  PORT: String(appPort),
  AWS_ENDPOINT_URL: emulatorUrl,
  AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
  ...(platformKey ? { AWS_ACCESS_KEY_ID: platformKey.accessKeyId, AWS_SECRET_ACCESS_KEY: platformKey.secretAccessKey } : {}),
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  AUDIT_POLL_INTERVAL_MS: auditPollIntervalMs,
  // Each poll re-reads [checkpoint - overlap, now] for events CloudTrail delivers late (AWS: up to
  // ~15 min, hence 900 s by default). The emulator serves every call at once, and its trail holds
  // the poller's own LookupEvents calls: with 900 s, polling every 3 s re-read more pages each
  // cycle until it ran at the 2 requests/s budget and the trail lagged ~20 s. 60 s is plenty here.
  AUDIT_POLL_OVERLAP_SECONDS: process.env.AUDIT_POLL_OVERLAP_SECONDS ?? '60',
  OTEL_SDK_DISABLED: process.env.OTEL_SDK_DISABLED ?? (process.env.OTEL_EXPORTER_OTLP_ENDPOINT ? 'false' : 'true'),
};
if (!existsSync(join(root, 'dist/apps/standalone/src/main.js'))) fail('dist/apps/standalone is missing after the build');
start('standalone', process.execPath, ['--enable-source-maps', 'dist/apps/standalone/src/main.js'], appEnv);
const ready = await waitFor('standalone', `${appUrl}/health/ready`);

const logFiles = children.map(({ name }) => shown(join(logDir, `${name}.log`)));
log('');
log(`runtrail is up (embedded default: SQLite in ${shown(dataDir)}/, ${externalNats ? 'NATS at NATS_URL' : 'local nats-server'}, aws-emulator)`);
log(`  API + health   ${appUrl}   (ready: ${Object.entries(ready.checks).map(([k, v]) => `${k}=${v}`).join(' ')})`);
log(`  dashboard      ${appUrl}/dashboard/`);
log(`  NATS           ${natsUrl}   ${passwords ? `(auth on: this start's passwords in ${shown(join(dataDir, 'nats-passwords.env'))})` : '(external server)'}`);
log(`  aws-emulator   ${emulatorUrl}`);
log(`  logs           ${logFiles.join(', ')}${verbose ? ' (also streamed here)' : ' (npm start -- --verbose streams them here)'}`);
log('Press Ctrl-C to stop.');
// Machine-readable line for scripts and tests that drive `npm start`.
log(`pids ${JSON.stringify(Object.fromEntries(children.map(({ name, child }) => [name, child.pid])))}`);

async function api(method, path, key, body) {
  const res = await fetch(`${appUrl}/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const adminKeyFile = join(dataDir, 'demo-acme-api-key');

async function demoKey() {
  if (existsSync(adminKeyFile)) return readFileSync(adminKeyFile, 'utf8').trim();
  const created = await api('POST', '/accounts', bootstrapToken, { slug: 'acme' });
  if (created.status !== 201) throw new Error(`creating account acme answered ${created.status}: ${JSON.stringify(created.body)}`);
  // Shown once by the API: kept beside the SQLite files (mode 600) so the next start reuses it.
  writeFileSync(adminKeyFile, created.body.apiKey.key, { mode: 0o600 });
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

/** Runs a command of the demo (exec, the CLI) to its end; stopped with everything on Ctrl-C. */
function runHelper(args, env, onStderrLine = () => {}) {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, args, { cwd: root, env });
    helpers.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => {
      stderr += c;
      String(c).split('\n').filter(Boolean).forEach(onStderrLine);
    });
    child.on('error', rej);
    child.on('close', (code) => {
      helpers.delete(child);
      res({ code, stdout, stderr });
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const CUSTOMER = '222222222222';
const DEPLOYER_ROLE = `arn:aws:iam::${CUSTOMER}:role/runtrail-demo-deployer`;
/** Where the AWS CLI is; RUNTRAIL_DEMO_AWS_CLI=none runs the demo's AWS calls with the AWS SDK for JavaScript instead. */
const awsCli = process.env.RUNTRAIL_DEMO_AWS_CLI ?? '/usr/bin/aws';
/** The longest the demo waits for its run's calls to reach audit. */
const TRAIL_WAIT_MS = 90_000;

/**
 * The apply's command: as the run's session it creates role `role` (a write), then chains into
 * the seed's deployer role, named after the run as apps/cli/README.md asks, which puts a policy on
 * it. Prints three lines: the run's session ARN, the new role's ARN, the chained session's ARN.
 *
 * With the AWS CLI the chaining is the CLI's own, from a profile (role_arn + credential_source =
 * Environment: the run's credentials exec exported), as a Terraform provider's assume_role would
 * do it. The profile, and the CLI's cache of the chained credentials (under HOME), live in exec's
 * private run directory (the dir of the AWS_CONFIG_FILE exec gives the command), removed when exec
 * exits. AWS CLIs before 2.13 ignore AWS_ENDPOINT_URL and --endpoint-url for the profile's STS
 * call: the endpoint rule set deploy/emulator/aws-cli-sts-endpoint-rule-set.json under AWS_DATA_PATH
 * points it at the emulator.
 */
function applyCommand(role, runId) {
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${CUSTOMER}:root` }, Action: 'sts:AssumeRole' }] };
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${role}/*` }] };
  if (awsCli !== 'none' && existsSync(awsCli)) {
    const rules = readFileSync(join(root, 'deploy/emulator/aws-cli-sts-endpoint-rule-set.json'), 'utf8').replace('EMULATOR_ENDPOINT', emulatorUrl);
    const profile = `[profile deployer]\nrole_arn = ${DEPLOYER_ROLE}\ncredential_source = Environment\nrole_session_name = ${runId}\nendpoint_url = ${emulatorUrl}\n`;
    const script = [
      'set -e',
      'cli=$1 endpoint=$2 role=$3 trust=$4 policy=$5 profile=$6 rules=$7',
      'aws() { "$cli" --endpoint-url "$endpoint" --output text "$@"; }',
      'aws sts get-caller-identity --query Arn',
      'aws iam create-role --role-name "$role" --assume-role-policy-document "$trust" --query Role.Arn',
      'dir=$(dirname "$AWS_CONFIG_FILE")',
      'printf "%s" "$profile" > "$dir/deployer-profile"',
      'mkdir -p "$dir/aws-data/sts/2011-06-15"',
      'printf "%s" "$rules" > "$dir/aws-data/sts/2011-06-15/endpoint-rule-set-1.json"',
      'export AWS_CONFIG_FILE="$dir/deployer-profile" AWS_DATA_PATH="$dir/aws-data" HOME="$dir"',
      'aws --profile deployer sts get-caller-identity --query Arn',
      'aws --profile deployer iam put-role-policy --role-name "$role" --policy-name app --policy-document "$policy"',
    ].join('\n');
    return {
      shown: `aws iam create-role --role-name ${role}; aws --profile deployer (role_arn ${DEPLOYER_ROLE}) iam put-role-policy --role-name ${role}`,
      argv: ['/bin/sh', '-c', script, 'demo-apply', awsCli, emulatorUrl, role, JSON.stringify(trust), JSON.stringify(policy), profile, rules],
    };
  }
  const script = `
const { IAMClient, CreateRoleCommand, PutRolePolicyCommand } = require('@aws-sdk/client-iam');
const { STSClient, AssumeRoleCommand, GetCallerIdentityCommand } = require('@aws-sdk/client-sts');
const [endpoint, role, trust, policy, deployer, runId] = process.argv.slice(1);
const base = { endpoint, region: process.env.AWS_REGION || 'us-east-1' };
(async () => {
  console.log((await new STSClient(base).send(new GetCallerIdentityCommand({}))).Arn);
  console.log((await new IAMClient(base).send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: trust }))).Role.Arn);
  const c = (await new STSClient(base).send(new AssumeRoleCommand({ RoleArn: deployer, RoleSessionName: runId }))).Credentials;
  const chained = { ...base, credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken } };
  console.log((await new STSClient(chained).send(new GetCallerIdentityCommand({}))).Arn);
  await new IAMClient(chained).send(new PutRolePolicyCommand({ RoleName: role, PolicyName: 'app', PolicyDocument: policy }));
})().catch((e) => { console.error(e.name + ': ' + e.message); process.exit(1); });`;
  return {
    shown: `node (AWS SDK): iam CreateRole ${role}; sts AssumeRole ${DEPLOYER_ROLE}; iam PutRolePolicy ${role}`,
    argv: [process.execPath, '-e', script, emulatorUrl, role, JSON.stringify(trust), JSON.stringify(policy), DEPLOYER_ROLE, runId],
  };
}

/** The seed's trail-reader role as acme's trail source (LookupEvents in us-east-1, where IAM's and STS's calls are), reused across starts. */
async function trailSource(key) {
  const roleArn = `arn:aws:iam::${CUSTOMER}:role/runtrail-trail-reader`;
  const list = await api('GET', '/audit/trail-sources', key);
  const found = (list.body?.items ?? []).find((s) => s.awsAccountId === CUSTOMER);
  if (found) return found;
  const created = await api('POST', '/audit/trail-sources', key, { awsAccountId: CUSTOMER, regions: ['us-east-1'], roleArn });
  if (created.status === 201) return created.body;
  const reasons = (created.body?.checks ?? []).filter((c) => c.status !== 'pass').map((c) => `${c.check}: ${c.message}`);
  throw new Error(`registering ${roleArn} as a trail source answered ${created.status}: ${created.body?.detail ?? JSON.stringify(created.body)}${reasons.length ? ` (${reasons.join('; ')})` : ''}`);
}

/** Waits, with a progress line, until the run's timeline holds its CreateRole and its chained session's call. */
async function waitForTrail(key, runId) {
  const started = Date.now();
  const tty = process.stdout.isTTY;
  let lastLine = 0;
  let seen = [];
  while (!stopping) {
    const answer = await api('GET', `/audit/runs/${runId}/timeline?limit=1000`, key).catch(() => null);
    const events = answer?.status === 200 ? answer.body.events.items : [];
    seen = events.map((e) => e.eventName);
    const created = events.find((e) => e.eventName === 'CreateRole' && !e.denied);
    const chained = events.find((e) => e.eventName === 'PutRolePolicy' && !e.denied);
    const waited = Math.round((Date.now() - started) / 1000);
    const progress = `demo: waiting for the run's calls to reach audit through the trail source (polled every ${auditPollIntervalMs / 1000} s): ${waited} s, ${events.length} calls so far`;
    if (created && chained) {
      if (tty) process.stdout.write('\r\x1b[2K');
      return { created, waited };
    }
    if (Date.now() - started > TRAIL_WAIT_MS) {
      if (tty) process.stdout.write('\n');
      throw new Error(`the run's CreateRole and chained PutRolePolicy were not in its timeline after ${TRAIL_WAIT_MS / 1000} s (calls seen: ${seen.join(', ') || 'none'}); see ${shown(join(logDir, 'standalone.log'))}`);
    }
    if (tty) process.stdout.write(`\r\x1b[2K[runtrail] ${progress}`);
    else if (Date.now() - lastLine >= 15_000) {
      lastLine = Date.now();
      log(progress);
    }
    await sleep(1000);
  }
  return new Promise(() => {});
}

/**
 * The whole loop, end to end, through what a user has (REST API, CLI, the seed's roles):
 * account acme, the seed's trail-reader role as its trail source, a stack and an integration on
 * runtrail-demo attached for read and write (verified at attach), then `runtrail exec
 * --publish-phases` as the scheduler of a tracked run: PLANNING gets read credentials, APPLYING
 * write ones, and the apply's command creates a role and chains into the deployer role that
 * changes it. Audit reads those calls back from the customer account's CloudTrail, and the CLI
 * prints the run's timeline and who created the role.
 */
async function demo() {
  const key = await demoKey();
  const source = await trailSource(key);
  log(`demo: trail source ${source.id}: audit reads account ${source.awsAccountId}'s CloudTrail (${source.regions.join(', ')}) as ${source.roleArn.split('/').pop()} with external id ${source.externalId}`);
  const stack = await findOrCreate(key, '/callers', (c) => c.slug === 'demo-network', '/callers', { type: 'stack', slug: 'demo-network' });
  const roleArn = `arn:aws:iam::${CUSTOMER}:role/runtrail-demo`;
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
  log(`demo: stack demo-network (${stack.id}), integration demo (${integration.id}) on role runtrail-demo, attached for read and write`);
  const runId = spawnSync(process.execPath, ['-e', "process.stdout.write(require('ulid').ulid())"], { cwd: root, encoding: 'utf8' }).stdout;
  const role = `demo-app-${runId.slice(-8).toLowerCase()}`;
  const command = applyCommand(role, runId);
  const args = ['dist/apps/cli/src/main.js', 'exec', '--run', runId, '--worker', POOL_WORKERS[0], '--publish-phases', '--account', 'acme'];
  args.push('--stack', stack.id, '--caller-slug', 'demo-network', '--nats', natsUrl, '--timeout', '30', '--', ...command.argv);
  log(`demo: runtrail exec --run ${runId} --publish-phases --account acme --stack ${stack.id} -- ${command.shown}`);
  // A worker of pool worker-pool-default, and a scheduler holding the runs API's URL and a key.
  const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('RUNTRAIL_')));
  const env = {
    ...cleanEnv,
    ...natsLogin(POOL_USER),
    RUNTRAIL_URL: appUrl,
    RUNTRAIL_API_KEY: await schedulerKey(key),
    AWS_ENDPOINT_URL: emulatorUrl,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const exec = await runHelper(args, env, (line) => log(`demo: ${line}`));
  if (stopping) return;
  if (exec.code !== 0) throw new Error(`runtrail exec exited with ${exec.code}: ${exec.stdout}`);
  const [sessionArn, createdArn, chainedArn] = exec.stdout.trim().split('\n').map((l) => l.trim());
  log(`demo: the command ran as ${sessionArn} (session <runId>@demo-network@acme)`);
  log(`demo: it created ${createdArn}, chained into ${chainedArn} and put the policy "app" on ${role}`);

  const { created, waited } = await waitForTrail(key, runId);
  log(`demo: audit has the run's calls, read from the customer account's CloudTrail ${waited} s after the command ended; the run's timeline (runtrail audit timeline ${runId}):`);
  // The CLI's own output, as a user gets it.
  const cliEnv = { ...cleanEnv, RUNTRAIL_URL: appUrl, RUNTRAIL_API_KEY: key };
  const timeline = await runHelper(['dist/apps/cli/src/main.js', 'audit', 'timeline', runId], cliEnv);
  process.stdout.write(`\n${timeline.stdout || timeline.stderr}\n`);
  log(`demo: who changed ${role} (runtrail audit who-changed ${role}):`);
  const changes = await runHelper(['dist/apps/cli/src/main.js', 'audit', 'who-changed', role], cliEnv);
  process.stdout.write(`\n${changes.stdout || changes.stderr}\n`);
  log(`demo: who created role ${role} → run ${created.runId ?? '(no run)'} (iam:CreateRole at ${created.eventTime} as ${created.principalArn})`);
  return runId;
}

/** What to type next, against this start (the key stays in its file). */
function nextSteps(runId) {
  const keyFile = shown(adminKeyFile);
  const npx = root === process.cwd() ? 'npx runtrail' : `node ${shown(join(root, 'dist/apps/cli/src/main.js'))}`;
  log('');
  log('Next, in another terminal:');
  log(`  export RUNTRAIL_URL=${appUrl} RUNTRAIL_API_KEY=$(cat ${keyFile})`);
  if (runId) {
    log(`  ${npx} audit timeline ${runId}`);
    log(`  ${npx} audit who-changed arn:aws:iam::${CUSTOMER}:role/demo-app-${runId.slice(-8).toLowerCase()}`);
  }
  log(`  ${npx} trail-sources list`);
  log(`  ${npx} audit findings`);
  log(`  open ${appUrl}/dashboard/`);
  log('Press Ctrl-C to stop.');
}

if (process.env.RUNTRAIL_DEMO !== 'false') {
  demo().then(
    (runId) => {
      if (stopping) return;
      log('demo: done');
      nextSteps(runId);
    },
    (error) => {
      if (stopping) return;
      log(`demo: failed: ${error.message} (runtrail keeps running; RUNTRAIL_DEMO=false skips the demo)`);
      nextSteps();
    },
  );
} else if (existsSync(adminKeyFile)) {
  nextSteps();
}

/**
 * nats-server reads a `$VARIABLE` in its config as a config value: one starting with a digit or `-`
 * parses as a number (and fails), `true`/`no`/… as a boolean. A letter, then hex, is always a string.
 */
function natsSafePassword() {
  return `p${randomBytes(24).toString('hex')}`;
}
