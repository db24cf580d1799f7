import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { freePort } from '@runtrail/testing';

// The README's start command, as a newcomer runs it: everything comes up ready, Ctrl-C leaves nothing.
const root = join(__dirname, '../../..');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number, output: string[]): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} in ${timeoutMs} ms:\n${output.join('')}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const match = output.join('').match(pattern);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve(match);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  });
}

describe('npm start (embedded default)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'runtrail-start-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  beforeAll(() => {
    const build = spawnSync(process.execPath, ['tools/build.mjs'], { cwd: root, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  });

  it('brings up nats, the emulator and all five services, then stops every process on Ctrl-C', async () => {
    const [natsPort, emulatorPort, appPort] = [await freePort(), await freePort(), await freePort()];
    const start = spawn(process.execPath, ['tools/start.mjs'], {
      cwd: root,
      env: {
        ...process.env,
        RUNTRAIL_NATS_PORT: String(natsPort),
        RUNTRAIL_EMULATOR_PORT: String(emulatorPort),
        PORT: String(appPort),
        RUNTRAIL_DATA_DIR: dataDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    const [, pidsJson] = await waitForLine(start, /\[runtrail\] pids (\{.*\})\n/, 90_000, output);
    const pids = JSON.parse(pidsJson!) as Record<string, number>;
    expect(Object.keys(pids).sort()).toEqual(['aws-emulator', 'nats', 'standalone']);

    const ready = await fetch(`http://127.0.0.1:${appPort}/health/ready`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { checks: Record<string, string> };
    for (const service of ['integrations', 'verifier', 'credential-broker', 'oidc-issuer', 'audit']) {
      expect(body.checks[`database:${service}`]).toBe('up');
    }
    expect(body.checks['nats']).toBe('up');
    expect(output.join('')).toContain(`http://127.0.0.1:${appPort}`);

    // The demo: account, stack, integration and attachment through the REST API, then
    // `runtrail exec --publish-phases` runs the AWS CLI with the run's credentials.
    const [, arn] = await waitForLine(start, /demo: the command ran as (\S+)/, 90_000, output);
    expect(arn).toMatch(/^arn:aws:sts::222222222222:assumed-role\/runtrail-demo\/[0-9A-HJKMNP-TV-Z]{26}@demo-network@acme$/);
    expect(output.join('')).toContain('demo: runtrail exec: PLANNING: read credentials received');

    // Every admin change the demo made through REST is in audit's admin log, with who made it.
    const demoKey = readFileSync(join(dataDir, 'demo-acme-scheduler-key'), 'utf8').trim();
    const actions = ['account.created', 'api_key.created', 'caller.registered', 'integration.created', 'attachment.created'];
    type AdminEvents = { items: Array<{ action: string; actor: { keyId?: string; role?: string; bootstrap?: true }; target: { id: string } }> };
    let log: AdminEvents = { items: [] };
    for (let tries = 0; tries < 50 && !actions.every((a) => log.items.some((e) => e.action === a)); tries++) {
      if (tries) await new Promise((resolve) => setTimeout(resolve, 100));
      const answer = await fetch(`http://127.0.0.1:${appPort}/v1/audit/admin-events?limit=1000`, { headers: { authorization: `Bearer ${demoKey}` } });
      log = (await answer.json()) as AdminEvents;
    }
    expect(log.items.find((e) => e.action === 'account.created')?.actor).toEqual({ bootstrap: true });
    const byKey = log.items.filter((e) => e.action !== 'account.created' && e.actor.keyId);
    // The demo also registers acme's trail source (audit's own admin event, by the same key).
    expect(new Set(byKey.map((e) => e.action))).toEqual(new Set([...actions.slice(1), 'trail_source.created']));
    expect(byKey.find((e) => e.target.id === demoKey.split('.')[1])?.action).toBe('api_key.created');

    // NATS runs deploy/nats/auth.conf with this start's passwords: nobody gets in without one, every
    // process logged in (the services as standalone, the demo's exec as worker-pool-default), and
    // no password is printed. They are kept for this start only to the file's owner.
    await expect(connect({ servers: `nats://127.0.0.1:${natsPort}`, reconnect: false })).rejects.toThrow(/Authorization/i);
    const passwordsFile = join(dataDir, 'nats-passwords.env');
    expect(statSync(passwordsFile).mode & 0o777).toBe(0o600);
    const passwords = readFileSync(passwordsFile, 'utf8').trim().split('\n').map((line) => line.split('=')[1]!);
    expect(passwords.length).toBeGreaterThanOrEqual(8);
    for (const password of passwords) expect(output.join('')).not.toContain(password);
    expect(output.join('')).not.toMatch(/no authentication|Permissions Violation/);

    const exited = new Promise<number | null>((resolve) => start.once('exit', (code) => resolve(code)));
    start.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const pid of Object.values(pids)) expect(alive(pid)).toBe(false);
  }, 200_000);
});
