import { IAMClient, CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startShippedNatsServer, startTestEmulator, type AwsEmulator, type ShippedNatsServer } from '@runtrail/testing';

export const ROOT = join(__dirname, '../../../..');
export const CUSTOMER = '222222222222';
const PLATFORM_KEY = { accessKeyId: 'AKIA1111RUNTRAIL0001', secretAccessKey: 'runtrail-platform-local-secret-not-a-real-key' };
const CUSTOMER_ADMIN = { accessKeyId: 'AKIA2222CUSTOMERADM1', secretAccessKey: 'customer-admin-local-secret-not-a-real-key' };
const POOL_WORKERS = ['worker-01', 'worker-02', 'worker-03'];

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
}

interface Done {
  code: number;
  output: string;
}

function collect(child: ChildProcess): Promise<Done> {
  return new Promise((resolve) => {
    let output = '';
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

/** `node dist/apps/cli/src/main.js ...args` (asynchronous: the emulator answers from this process). */
function cli(args: string[], env: Record<string, string>): Promise<Done> {
  return collect(
    spawn(process.execPath, [join(ROOT, 'dist/apps/cli/src/main.js'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

/**
 * What `npm start` runs, for the dashboard's browser tests: nats-server with the shipped auth.conf
 * (set up by `runtrail nats setup` as runtrail-admin), the aws-emulator with the shipped seed, and
 * `standalone` from the build (every service, audit's dashboard at /dashboard/). Data is made as a
 * user makes it: the REST API, the customer's IAM, and `runtrail exec` of tracked runs.
 */
export class StandaloneStack {
  private constructor(
    readonly nats: ShippedNatsServer,
    readonly emulator: AwsEmulator,
    private readonly app: ChildProcess,
    readonly output: string[],
    readonly baseUrl: string,
    private readonly bootstrapToken: string,
    private readonly dataDir: string,
    readonly iam: IAMClient,
  ) {}

  static async start(): Promise<StandaloneStack> {
    const nats = await startShippedNatsServer();
    const setup = await cli(['nats', 'setup', ...POOL_WORKERS.flatMap((w) => ['--worker', w])], { NATS_URL: nats.url, ...nats.login('runtrail-admin') });
    if (setup.code !== 0) {
      await nats.stop();
      throw new Error(`runtrail nats setup failed:\n${setup.output}`);
    }
    const emulator = await startTestEmulator();
    const dataDir = mkdtempSync(join(tmpdir(), 'runtrail-dashboard-e2e-'));
    const port = await freePort();
    const bootstrapToken = randomBytes(24).toString('hex');
    const app = spawn(process.execPath, ['--enable-source-maps', join(ROOT, 'dist/apps/standalone/src/main.js')], {
      cwd: ROOT,
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: process.env['HOME'] ?? '/tmp',
        HOST: '127.0.0.1',
        PORT: String(port),
        NATS_URL: nats.url,
        ...nats.login('standalone'),
        DATABASE_URL: `sqlite:${dataDir}/`,
        INTEGRATIONS_BOOTSTRAP_TOKEN: bootstrapToken,
        OIDC_PUBLIC_URL: `http://127.0.0.1:${port}`,
        OIDC_KEK: randomBytes(32).toString('base64'),
        AWS_ENDPOINT_URL: emulator.endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: PLATFORM_KEY.accessKeyId,
        AWS_SECRET_ACCESS_KEY: PLATFORM_KEY.secretAccessKey,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        OTEL_SDK_DISABLED: 'true',
        // Trail sources are polled every second, so the runs' calls reach audit while the test waits.
        AUDIT_POLL_INTERVAL_MS: '1000',
        VERIFIER_RETRY_ATTEMPTS: '2',
        VERIFIER_RETRY_BASE_DELAY_MS: '50',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    app.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
    app.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
    const baseUrl = `http://127.0.0.1:${port}`;
    const iam = new IAMClient({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: CUSTOMER_ADMIN });
    const stack = new StandaloneStack(nats, emulator, app, output, baseUrl, bootstrapToken, dataDir, iam);
    try {
      await stack.waitReady();
    } catch (error) {
      // The suite's afterAll never sees a stack that failed to start: leave nothing running.
      await stack.stop();
      throw error;
    }
    return stack;
  }

  private async waitReady(): Promise<void> {
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      if (this.app.exitCode !== null) throw new Error(`standalone exited with ${this.app.exitCode}:\n${this.output.join('')}`);
      if (await fetch(`${this.baseUrl}/health/ready`).then((r) => r.ok, () => false)) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`standalone not ready in 60 s:\n${this.output.join('')}`);
  }

  /** A REST call (`/v1...`) with a bearer; the reply whatever its status. */
  async call<T = Record<string, unknown>>(bearer: string, method: string, path: string, body?: unknown): Promise<Reply<T>> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  /** The same, failing unless 2xx. */
  async ok<T = Record<string, unknown>>(bearer: string, method: string, path: string, body?: unknown): Promise<T> {
    const reply = await this.call<T>(bearer, method, path, body);
    if (reply.status >= 300) throw new Error(`${method} ${path} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    return reply.body;
  }

  /** A new account; its first admin key. */
  async bootstrap(slug: string): Promise<string> {
    return (await this.ok<{ apiKey: { key: string } }>(this.bootstrapToken, 'POST', '/v1/accounts', { slug })).apiKey.key;
  }

  /** A role of the customer's account any of its principals with permission may assume (a chain's next hop). */
  async createChainRole(name: string): Promise<string> {
    const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${CUSTOMER}:root` }, Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'] }] };
    const created = await this.iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust) }));
    return created.Role!.Arn!;
  }

  async putRolePolicy(role: string, name: string, statements: unknown[]): Promise<void> {
    await this.iam.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: name, PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }));
  }

  /**
   * `runtrail exec --publish-phases` of a tracked run of `stack` as worker-01 of the default pool
   * (the scheduler's key drives the runs API), running `script` with `sh -c` and the run's credentials.
   */
  exec(run: { runId: string; callerId: string; slug: string }, schedulerKey: string, script: string): Promise<Done> {
    return cli(
      ['exec', '--run', run.runId, '--worker', POOL_WORKERS[0]!, '--publish-phases', '--account', 'acme', '--stack', run.callerId, '--caller-slug', run.slug,
        '--run-type', 'TRACKED', '--timeout', '30', '--', 'sh', '-c', script],
      {
        NATS_URL: this.nats.url,
        ...this.nats.login('worker-pool-default'),
        RUNTRAIL_URL: this.baseUrl,
        RUNTRAIL_API_KEY: schedulerKey,
        EP: this.emulator.endpoint,
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: '/nonexistent/config',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
        AWS_PAGER: '',
      },
    );
  }

  async stop(): Promise<void> {
    if (this.app.exitCode === null && this.app.signalCode === null) {
      await new Promise<void>((resolve) => {
        this.app.once('exit', () => resolve());
        this.app.kill('SIGTERM');
        setTimeout(() => this.app.kill('SIGKILL'), 8000).unref();
      });
    }
    this.iam.destroy();
    await this.emulator.stop();
    await this.nats.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
