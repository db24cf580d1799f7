import type { INestApplication } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { bootstrapService } from '@runtrail/bootstrap';
import { loadConfig } from '@runtrail/config';
import type { AdminEvent } from '@runtrail/contracts';
import { MessageBus } from '@runtrail/messaging';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { integrationsEnv } from '../lib/integrations.env';
import { IntegrationsModule } from '../lib/integrations.module';

const ADMIN_SUBJECTS = 'integrations.v1.admin.';

export const BOOTSTRAP_TOKEN = 'test-bootstrap-token-0123456789abcdef';
export const DEMO_ROLE = 'arn:aws:iam::222222222222:role/runtrail-demo';
export const PLATFORM = {
  accessKeyId: 'AKIA1111RUNTRAIL0001',
  secretAccessKey: 'runtrail-platform-local-secret-not-a-real-key',
};

/** What the spec starts through libs/testing (only spec files may import it) and hands over. */
export interface TestInfrastructure {
  nats: { url: string; stop(): Promise<void> };
  emulator: { endpoint: string; stop(): Promise<void> };
  /** Two free ports: the app's HTTP port and the verifier process's. */
  ports: [number, number];
}

export interface Reply<T = Record<string, unknown>> {
  status: number;
  type: string;
  body: T;
}

/** Everything the app wrote to stdout/stderr while it ran. */
export class CapturedOutput {
  readonly chunks: string[] = [];

  start(): void {
    for (const stream of [process.stdout, process.stderr]) {
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        this.chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return true;
      });
    }
  }

  get text(): string {
    return this.chunks.join('');
  }
}

/**
 * integrations + verifier as `standalone` runs them (HTTP + NATS + database), on their own
 * nats-server (the request subjects are fixed, and other suites answer them too) and an in-process
 * aws-emulator seeded like `npm start`.
 */
export class IntegrationsApp {
  private constructor(
    readonly app: INestApplication,
    readonly baseUrl: string,
    readonly nats: TestInfrastructure['nats'],
    readonly emulator: TestInfrastructure['emulator'],
    readonly client: NatsConnection,
    readonly bus: MessageBus,
    private readonly verifier: ChildProcess,
    readonly output: CapturedOutput,
  ) {}

  /** `env`: variables on top of the suite defaults (e.g. lower rate limits). */
  static async start(
    databaseUrl: string,
    infrastructure: TestInfrastructure,
    env: Record<string, string> = {},
  ): Promise<IntegrationsApp> {
    const { nats, emulator, ports } = infrastructure;
    const [port, verifierPort] = ports;
    const config = loadConfig(integrationsEnv, {
      DATABASE_URL: databaseUrl,
      INTEGRATIONS_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN,
      INTEGRATIONS_REVERIFY_INTERVAL_S: '0',
      INTEGRATIONS_OUTBOX_INTERVAL_MS: '100',
      ...env,
    });
    const output = new CapturedOutput();
    const verifier = await startVerifier(nats.url, emulator.endpoint, verifierPort, output);
    output.start();
    const app = await bootstrapService({
      name: 'integrations',
      modules: [IntegrationsModule.forRoot(config)],
      http: { host: '127.0.0.1', port },
      nats: { servers: [nats.url] },
      logLevel: 'verbose',
    });
    const client = await connect({ servers: nats.url });
    return new IntegrationsApp(
      app,
      `http://127.0.0.1:${port}`,
      nats,
      emulator,
      client,
      new MessageBus(client),
      verifier,
      output,
    );
  }

  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: { key?: string; body?: unknown } = {},
  ): Promise<Reply<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return {
      status: response.status,
      type: (response.headers.get('content-type') ?? '').split(';')[0] ?? '',
      body: (text ? JSON.parse(text) : {}) as T,
    };
  }

  /** Creates an account through the bootstrap route; resolves with its admin key. */
  async account(slug: string): Promise<string> {
    const reply = await this.call<{ apiKey: { key: string } }>('POST', '/v1/accounts', {
      key: BOOTSTRAP_TOKEN,
      body: { slug },
    });
    if (reply.status !== 201)
      throw new Error(`account ${slug}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body.apiKey.key;
  }

  /**
   * Every event in `stream` (INTEGRATIONS unless named) so far, as `[subject, payload]`, without the
   * admin log's `integrations.v1.admin.*` (see {@link adminEvents}).
   */
  async events(stream = 'INTEGRATIONS'): Promise<Array<{ subject: string; data: Record<string, unknown> }>> {
    return (await this.streamEvents(stream)).filter((e) => !e.subject.startsWith(ADMIN_SUBJECTS));
  }

  /** The admin log's events (`integrations.v1.admin.<action>`) so far, oldest first. */
  async adminEvents(): Promise<Array<{ subject: string; data: AdminEvent }>> {
    return (await this.streamEvents('INTEGRATIONS'))
      .filter((e) => e.subject.startsWith(ADMIN_SUBJECTS))
      .map((e) => ({ subject: e.subject, data: e.data as unknown as AdminEvent }));
  }

  private async streamEvents(stream: string): Promise<Array<{ subject: string; data: Record<string, unknown> }>> {
    const jsm = await jetstreamManager(this.client);
    const info = await jsm.streams.info(stream);
    const out: Array<{ subject: string; data: Record<string, unknown> }> = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const message = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (message) out.push({ subject: message.subject, data: message.json<Record<string, unknown>>() });
    }
    return out;
  }

  /** Waits until `predicate` holds for the events (the outbox publishes shortly after the commit). */
  async eventually<T>(
    probe: () => Promise<T>,
    predicate: (value: T) => boolean,
    timeoutMs = 5000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (predicate(value) || Date.now() > deadline) return value;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async close(): Promise<void> {
    await this.client.drain().catch(() => undefined);
    await this.app.close();
    const exited = new Promise((resolve) => this.verifier.once('exit', resolve));
    this.verifier.kill('SIGTERM');
    await exited;
    jest.restoreAllMocks();
    await this.emulator.stop();
    await this.nats.stop();
  }
}

const ROOT = join(__dirname, '../../../..');

/**
 * The verifier as its own process (the built app), as in a deployment: integrations' feature lib may
 * not import the verifier's, and talking over NATS is the point. Its output is captured too.
 */
async function startVerifier(
  natsUrl: string,
  emulatorEndpoint: string,
  port: number,
  output: CapturedOutput,
): Promise<ChildProcess> {
  const build = spawnSync(process.execPath, ['tools/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  const child = spawn(process.execPath, ['dist/apps/verifier/src/main.js'], {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'],
      NATS_URL: natsUrl,
      DATABASE_URL: 'sqlite::memory:',
      PORT: String(port),
      AWS_ENDPOINT_URL: emulatorEndpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: PLATFORM.accessKeyId,
      AWS_SECRET_ACCESS_KEY: PLATFORM.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      OTEL_SDK_DISABLED: 'true',
      VERIFIER_RETRY_ATTEMPTS: '2',
      VERIFIER_RETRY_BASE_DELAY_MS: '50',
      LOG_LEVEL: 'verbose',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`verifier did not start: ${output.text}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output.chunks.push(chunk.toString('utf8'));
      if (output.text.includes('ready on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`verifier exited with ${code}: ${output.text}`)));
  });
  return child;
}
