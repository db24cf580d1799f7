import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort, startShippedNatsServer, type ShippedNatsServer } from '@runtrail/testing';
import { ROOT, ServiceProcess } from './support/service.process';

// NATS least privilege, proven with the shipped deploy/nats/auth.conf: nats-server runs it with
// test passwords; the setup step is the real `runtrail nats setup`; the services run from the build
// as their own users; deploy/nats/permissions-smoke.mjs plays every party's flow and attacks.
let nats: ShippedNatsServer;
let dataDir: string;
const services: ServiceProcess[] = [];

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return run(process.execPath, [join(ROOT, 'dist/apps/cli/src/main.js'), ...args], env);
}

function run(command: string, args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp', NATS_URL: nats.url, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

async function streamNames(): Promise<string[]> {
  const nc = await connect({ servers: nats.url, ...asUser('runtrail-admin') });
  const names = await (await jetstreamManager(nc)).streams.names().next();
  await nc.close();
  return names.sort();
}

function asUser(user: string): { user: string; pass: string } {
  const { NATS_USER, NATS_PASSWORD } = nats.login(user);
  return { user: NATS_USER, pass: NATS_PASSWORD };
}

beforeAll(async () => {
  const build = spawnSync(process.execPath, ['tools/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  nats = await startShippedNatsServer();
  dataDir = mkdtempSync(join(tmpdir(), 'runtrail-nats-perms-'));
}, 120_000);

afterAll(async () => {
  for (const s of services.reverse()) await s.stop();
  await nats?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('NATS with the shipped deploy/nats config', () => {
  it('refuses the setup step to a service user; runtrail-admin runs it with `runtrail nats setup`', async () => {
    const refused = await cli(['nats', 'setup'], nats.login('credential-broker'));
    expect(refused.code).toBe(1);
    expect(await streamNames()).toEqual([]);

    const setup = await cli(['nats', 'setup', '--worker', 'worker-01'], nats.login('runtrail-admin'));
    expect(setup.out).not.toMatch(/no authentication/);
    expect(setup.code).toBe(0);
    expect(setup.out).toContain('consumer DELIVERIES/worker_worker-01 (deliveries.v1.worker-01.>): ready');
    expect(await streamNames()).toEqual(
      ['AUDIT', 'CREDENTIALS', 'DELIVERIES', 'DLQ', 'INTEGRATIONS', 'KV_audit_poller_leases', 'RUNS'].sort(),
    );
  }, 60_000);

  it('runs the services from the build as their own users: they find the streams and create their pinned consumers', async () => {
    const common = { OTEL_SDK_DISABLED: 'true', LOG_LEVEL: 'verbose' };
    const aws = {
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_ACCESS_KEY_ID: 'AKIA1111RUNTRAIL0001',
      AWS_SECRET_ACCESS_KEY: 'not-a-real-secret',
      AWS_REGION: 'us-east-1',
    };
    const issuerPort = await freePort();
    services.push(
      await ServiceProcess.start('oidc-issuer', issuerPort, {
        ...common,
        ...nats.login('oidc-issuer'),
        NATS_URL: nats.url,
        DATABASE_URL: `sqlite:${join(dataDir, 'oidc-issuer.sqlite')}`,
        OIDC_PUBLIC_URL: `http://127.0.0.1:${issuerPort}`,
        OIDC_KEK: Buffer.alloc(32, 7).toString('base64'),
      }),
      await ServiceProcess.start('credential-broker', await freePort(), {
        ...common,
        ...aws,
        ...nats.login('credential-broker'),
        NATS_URL: nats.url,
        DATABASE_URL: `sqlite:${join(dataDir, 'broker.sqlite')}`,
      }),
      await ServiceProcess.start('audit', await freePort(), {
        ...common,
        ...aws,
        ...nats.login('audit'),
        NATS_URL: nats.url,
        DATABASE_URL: `sqlite:${join(dataDir, 'audit.sqlite')}`,
      }),
    );
    for (const s of services) {
      expect(s.text).not.toMatch(/Permissions Violation|missing: run/);
      expect(s.text).not.toMatch(/no authentication/);
    }
    expect(services[1].text).toContain('consuming runs.v1.phase.* from RUNS as credential-broker');
    expect(services[2].text).toContain('consuming audit.v1.cloudtrail from AUDIT as audit-cloudtrail-push');
    expect(services[2].text).toContain('consuming integrations.v1.admin.> from INTEGRATIONS as audit-admin-events');
    // The script below takes over their durable consumers, as a replica would: stop them first.
    for (const s of services.splice(0)) await s.stop();
  }, 120_000);

  it('deploy/nats/permissions-smoke.mjs: every party does its job and none can do more', async () => {
    const smoke = await run(process.execPath, ['deploy/nats/permissions-smoke.mjs'], {
      ...nats.passwords,
      NATS_STREAM_REPLICAS: '1',
    });
    if (smoke.code !== 0) throw new Error(smoke.out);
    expect(smoke.out).toContain('all permission checks passed');
    expect(smoke.out).toMatch(/ok {3}audit may not publish \$JS\.API\.STREAM\.UPDATE\.DELIVERIES/);
    expect(smoke.out).toMatch(/ok {3}worker-pool-default may not publish runs\.v1\.phase\.x/);
    expect(smoke.out).toMatch(/ok {3}worker-pool-default may not publish integrations\.v1\.resolve/);
    // exec's direct read: its own worker's subjects by subject, nothing else.
    expect(smoke.out).toMatch(/ok {3}worker-pool-default reads its run's last delivery directly/);
    expect(smoke.out).toMatch(/ok {3}worker-pool-default may not publish \$JS\.API\.DIRECT\.GET\.DELIVERIES\.deliveries\.v1\.worker-OTHER\./);
    expect(smoke.out).toMatch(/ok {3}worker-pool-default may not publish \$JS\.API\.DIRECT\.GET\.DELIVERIES\n/);
    // npm start's single-process user holds the five services' rights, and no stream admin either.
    expect(smoke.out).toMatch(/ok {3}standalone may not publish \$JS\.API\.STREAM\.UPDATE\.RUNS/);
  }, 120_000);
});
