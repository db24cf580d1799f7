import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, testNatsUrl } from '@runtrail/testing';

// Each service as its own process (the way operators scale them): starts, reports ready, stops cleanly.
const root = join(__dirname, '../..');
const SERVICES = ['integrations', 'verifier', 'credential-broker', 'oidc-issuer', 'audit'] as const;

async function waitReady(url: string, child: ChildProcess, stderr: string[]): Promise<{ checks: Record<string, string> }> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${stderr.join('')}`);
    const res = await fetch(url).catch(() => null);
    if (res?.status === 200) return (await res.json()) as { checks: Record<string, string> };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready: ${stderr.join('')}`);
}

describe('each service app', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'runtrail-services-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  beforeAll(() => {
    const build = spawnSync(process.execPath, ['tools/build.mjs'], { cwd: root, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  });

  it.each(SERVICES)('%s starts on its own, reports NATS and its database ready, and exits 0 on SIGTERM', async (service) => {
    const port = await freePort();
    const stderr: string[] = [];
    const child = spawn(process.execPath, [`dist/apps/${service}/src/main.js`], {
      cwd: root,
      env: {
        ...process.env,
        NATS_URL: testNatsUrl(),
        PORT: String(port),
        DATABASE_URL: `sqlite:${dataDir}/`,
        OIDC_PUBLIC_URL: `http://127.0.0.1:${port}`,
        OIDC_KEK: randomBytes(32).toString('base64'),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (c: Buffer) => stderr.push(c.toString()));
    const { checks } = await waitReady(`http://127.0.0.1:${port}/health/ready`, child, stderr);
    expect(checks).toMatchObject({ nats: 'up', [`database:${service}`]: 'up' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);

  it('refuses to start on a bad environment, listing every problem and no secret', () => {
    const run = spawnSync(process.execPath, ['dist/apps/oidc-issuer/src/main.js'], {
      cwd: root,
      env: { ...process.env, NATS_URL: 'http://not-nats', PORT: 'eighty', OIDC_PUBLIC_URL: 'http://example.com', OIDC_KEK: 'hunter2-is-not-a-kek' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(1);
    for (const name of ['NATS_URL', 'PORT', 'OIDC_PUBLIC_URL', 'OIDC_KEK']) expect(run.stderr).toContain(name);
    expect(run.stderr).not.toContain('hunter2');
  });
});
