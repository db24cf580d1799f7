import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@runtrail/testing';

// The README's quick start on a fresh copy of the repository (its committed HEAD, no dist/, no
// .data/), as a newcomer types it: `npm start` builds, brings everything up, and its demo shows
// the whole loop: a tracked run whose apply creates an IAM role and chains into a second role that
// changes it, read back from the customer account's CloudTrail by audit through the trail source
// the demo registered, and printed by the CLI. Then Ctrl-C (SIGINT to the whole process group, as
// a terminal sends it) must leave no process behind. Generous timeouts: the copy builds from clean
// and the machine may be loaded; nothing here asserts speed.
const ROOT = join(__dirname, '../../..');
const RUN_ID = /[0-9A-HJKMNP-TV-Z]{26}/.source;
const RUNTRAIL_SETTINGS = /^(AWS_|NATS_|RUNTRAIL_|AUDIT_|OIDC_|INTEGRATIONS_|DATABASE_URL$|PORT$)/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves with the first match of `pattern` in everything `npm start` printed so far or later. */
function waitFor(output: { text: string; child: ChildProcess }, pattern: RegExp, timeoutMs: number) {
  return new Promise<RegExpMatchArray>((resolve, reject) => {
    const check = () => {
      const match = output.text.match(pattern);
      if (!match) return false;
      clearTimeout(timer);
      clearInterval(poll);
      output.child.off('exit', exited);
      resolve(match);
      return true;
    };
    const exited = () =>
      setTimeout(() => {
        if (!check()) reject(new Error(`npm start exited before printing ${pattern}:\n${output.text}`));
      }, 200);
    const timer = setTimeout(() => {
      clearInterval(poll);
      reject(new Error(`no output matching ${pattern} within ${timeoutMs / 1000} s:\n${output.text}`));
    }, timeoutMs);
    const poll = setInterval(check, 250);
    output.child.once('exit', exited);
    check();
  });
}

/** The lines printed between the line matching `from` and the next line matching `to`. */
function section(text: string, from: RegExp, to: RegExp): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => from.test(l));
  const end = lines.findIndex((l, i) => i > start && to.test(l));
  return start < 0 ? '' : lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

describe('npm start on a fresh copy', () => {
  const work = mkdtempSync(join(tmpdir(), 'runtrail-npm-start-'));
  const copy = join(work, 'runtrail');
  const dataDir = join(work, 'data');
  let start: ChildProcess | undefined;
  /** The services' pids, from the `pids` line (they run in process groups of their own). */
  let pids: Record<string, number> = {};

  afterAll(() => {
    // Only if the test failed half-way: nothing of this start may outlive the suite.
    for (const target of [start?.pid && -start.pid, ...Object.values(pids)]) {
      try {
        if (target) process.kill(target, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    rmSync(work, { recursive: true, force: true });
  });

  it("prints the run's timeline with its CreateRole and who created the role, and Ctrl-C leaves no process behind", async () => {
    const clone = spawnSync('git', ['clone', '--quiet', ROOT, copy], { encoding: 'utf8' });
    if (clone.status !== 0) throw new Error(`git clone failed: ${clone.stderr}`);
    // What `npm install` would make, borrowed from this checkout (the copy has no network to install from).
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');

    const [natsPort, emulatorPort, appPort] = [await freePort(), await freePort(), await freePort()];
    // Its own process group, so that SIGINT reaches npm, start.mjs and its children as Ctrl-C does.
    start = spawn('npm', ['start'], {
      cwd: copy,
      detached: true,
      env: {
        // A newcomer's shell: none of the test run's own AWS, NATS or runtrail settings.
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !RUNTRAIL_SETTINGS.test(k))),
        RUNTRAIL_DATA_DIR: dataDir,
        RUNTRAIL_NATS_PORT: String(natsPort),
        RUNTRAIL_EMULATOR_PORT: String(emulatorPort),
        PORT: String(appPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { text: '', child: start };
    start.stdout?.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
    start.stderr?.on('data', (chunk: Buffer) => (output.text += chunk.toString()));

    const [, pidsJson] = await waitFor(output, /\[runtrail\] pids (\{.*\})\n/, 300_000);
    pids = JSON.parse(pidsJson!) as Record<string, number>;
    expect(Object.keys(pids).sort()).toEqual(['aws-emulator', 'nats', 'standalone']);
    expect(Object.values(pids).every(alive)).toBe(true);

    const [, runId] = await waitFor(output, new RegExp(`demo: runtrail exec --run (${RUN_ID})`), 120_000);
    const [done] = await waitFor(output, /\[runtrail\] demo: (done|failed: .*)\n/, 300_000);
    expect(done).toContain('demo: done');
    const text = output.text;

    // The URLs, where the logs are, and a terminal without the services' own output.
    expect(text).toContain(`API + health   http://127.0.0.1:${appPort}`);
    expect(text).toContain(`dashboard      http://127.0.0.1:${appPort}/dashboard/`);
    expect(text).toContain(join(dataDir, 'logs', 'standalone.log'));
    expect(text).not.toMatch(/^\[(standalone|nats|aws-emulator)\] /m);
    expect(readFileSync(join(dataDir, 'logs', 'standalone.log'), 'utf8')).toContain('ready on');

    // The trail source, registered through the REST API with the seed's reader role.
    expect(text).toMatch(
      /demo: trail source \S+: audit reads account 222222222222's CloudTrail .* runtrail-trail-reader with external id acme@trail-source@\S+/,
    );

    // The timeline, as `runtrail audit timeline` prints it: both phases, the read and write
    // AssumeRoles with their external ids, the apply's CreateRole and the chained session's call.
    const role = `demo-app-${runId!.slice(-8).toLowerCase()}`;
    const timeline = section(text, /demo: audit has the run's calls/, /^\[runtrail\] demo: who changed/);
    expect(timeline).toContain(`run ${runId}  TRACKED  stack demo-network`);
    expect(timeline).toMatch(/PLANNING\n.*APPLYING/);
    expect(timeline).toMatch(/sts:AssumeRole .* acme@\S+@demo-network@read /);
    expect(timeline).toMatch(/sts:AssumeRole .* acme@\S+@demo-network@write /);
    expect(timeline).toMatch(
      new RegExp(`iam:CreateRole .*assumed-role/runtrail-demo/.* arn:aws:iam::222222222222:role/${role} `),
    );
    expect(timeline).toMatch(/sts:AssumeRole .*role\/runtrail-demo-deployer .*chained/);
    expect(timeline).toMatch(
      new RegExp(`iam:PutRolePolicy .*assumed-role/runtrail-demo-deployer/.*role/${role} `),
    );

    // Who changed the role: `runtrail audit who-changed` names the run, and the summary says it.
    const whoChanged = section(text, /^\[runtrail\] demo: who changed/, /^\[runtrail\] demo: who created/);
    expect(whoChanged).toMatch(new RegExp(`iam:CreateRole\\s+${runId}\\s`));
    expect(text).toContain(`demo: who created role ${role} → run ${runId}`);

    // The next commands name the key's file, never a key.
    expect(text).toContain(`RUNTRAIL_API_KEY=$(cat ${join(dataDir, 'demo-acme-api-key')})`);
    expect(text).toContain(`audit timeline ${runId}`);
    for (const keyFile of ['demo-acme-api-key', 'demo-acme-scheduler-key']) {
      expect(text).not.toContain(readFileSync(join(dataDir, keyFile), 'utf8').trim());
    }

    // Ctrl-C: every service stops and nothing of the group is left.
    const exited = new Promise<void>((resolve) => start!.once('exit', () => resolve()));
    process.kill(-start.pid!, 'SIGINT');
    await exited;
    const deadline = Date.now() + 15_000;
    while (Object.values(pids).some(alive) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    for (const [name, pid] of Object.entries(pids))
      expect({ name, alive: alive(pid) }).toEqual({ name, alive: false });
    expect(alive(-start.pid!)).toBe(false);
    expect(output.text).toMatch(/\[runtrail\] standalone stopped/);
    start = undefined;
    pids = {};
  }, 900_000);
});
