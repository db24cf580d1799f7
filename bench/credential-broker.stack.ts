// Processes the P1/P1b benchmark runs: nats-server, the aws-emulator and credential-broker replicas
// (each its own process, from the build), PostgreSQL when installed (else one SQLite file).
import { ResolveIntegrationsRequest } from '@runtrail/contracts';
import {
  freePort,
  postgresBinDir,
  startNatsServer,
  startPostgresCluster,
  type RunningNatsServer,
  type RunningPostgresCluster,
} from '@runtrail/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
export const PLATFORM = {
  accessKeyId: 'AKIA1111RUNTRAIL0001',
  secretAccessKey: 'runtrail-platform-local-secret-not-a-real-key',
};

async function waitHttp(url: string, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    if (
      await fetch(url).then(
        () => true,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start`);
}

export class BenchStack {
  readonly brokers: ChildProcess[] = [];

  private constructor(
    readonly nats: RunningNatsServer,
    readonly emulator: ChildProcess,
    readonly emulatorUrl: string,
    readonly postgres: RunningPostgresCluster | undefined,
    readonly dir: string,
  ) {}

  static async start(): Promise<BenchStack> {
    const nats = await startNatsServer();
    const port = await freePort();
    const emulator = spawn(
      process.execPath,
      [
        join(ROOT, 'dist/apps/aws-emulator/src/main.js'),
        '--port',
        String(port),
        '--seed',
        join(ROOT, 'deploy/emulator/seed.json'),
      ],
      {
        stdio: 'ignore',
      },
    );
    const emulatorUrl = `http://127.0.0.1:${port}`;
    await waitHttp(emulatorUrl, emulator, 'aws-emulator');
    const postgres = postgresBinDir() ? await startPostgresCluster() : undefined;
    return new BenchStack(
      nats,
      emulator,
      emulatorUrl,
      postgres,
      mkdtempSync(join(tmpdir(), 'runtrail-bench-broker-')),
    );
  }

  /** The PostgreSQL server's postmaster (its backends are its children), when PostgreSQL runs. */
  get postgresPid(): number | undefined {
    if (!this.postgres) return undefined;
    return Number(readFileSync(join(this.postgres.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  }

  get databaseKind(): string {
    return this.postgres ? 'PostgreSQL 15 (shared by the replicas)' : 'SQLite file';
  }

  /** Starts one more replica; `nodeArgs` go to node before the script (e.g. `--cpu-prof`). */
  async startBroker(nodeArgs: string[] = []): Promise<void> {
    const port = await freePort();
    const child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist/apps/credential-broker/src/main.js')], {
      env: {
        PATH: process.env['PATH'],
        HOME: process.env['HOME'],
        OTEL_SDK_DISABLED: 'true',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        NATS_URL: this.nats.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        DATABASE_URL: this.postgres
          ? `${this.postgres.url}/postgres`
          : `sqlite:${join(this.dir, 'broker.sqlite')}`,
        AWS_ENDPOINT_URL: this.emulatorUrl,
        AWS_ACCESS_KEY_ID: PLATFORM.accessKeyId,
        AWS_SECRET_ACCESS_KEY: PLATFORM.secretAccessKey,
        AWS_REGION: 'us-east-1',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitHttp(`http://127.0.0.1:${port}/health/ready`, child, 'credential-broker');
    // Ready answers before the consumer pulls; give it a moment so the first sample is not a start-up one.
    await new Promise((r) => setTimeout(r, 500));
    this.brokers.push(child);
  }

  async stopBrokers(): Promise<void> {
    await Promise.all(
      this.brokers.splice(0).map(
        (child) =>
          new Promise<void>((r) => {
            child.once('exit', () => r());
            child.kill('SIGTERM');
          }),
      ),
    );
  }

  async stop(): Promise<void> {
    await this.stopBrokers();
    this.emulator.kill('SIGTERM');
    await this.postgres?.stop();
    await this.nats.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** CPU ms (user + system) a process has used so far, from /proc/<pid>/stat (clock ticks of 10 ms). */
export function processCpuMs(pid: number): number {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * CPU ms of a process and its children so far: its own, its reaped children's (cutime, cstime) and
 * its live children's. For PostgreSQL's postmaster that is every backend's, including the broker's.
 */
export function processTreeCpuMs(pid: number): number {
  const withChildren = (fields: string[]) =>
    (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 10;
  let total = withChildren(statFields(pid));
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fields: string[];
    try {
      fields = statFields(Number(entry));
    } catch {
      continue; // exited meanwhile
    }
    if (Number(fields[1]) === pid) total += withChildren(fields);
  }
  return total;
}

/** /proc/<pid>/stat's fields after the command name: [0] is the state, [1] the parent pid. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
}

/**
 * The bench's two callers, each with one platform integration attached for read and write:
 * - `default`: the integration as `POST /integrations` creates it when only the required fields are
 *   given (no session tags, no SourceIdentity), so the broker's AssumeRole is the floor's bare one;
 * - `tagged`: session tagging and SourceIdentity on, so AssumeRole also carries five session tags,
 *   their five transitive keys and the run id as SourceIdentity.
 */
export const BENCH_CALLERS = {
  default: { id: '01HZY1V6QK3M7W3X9T2B5C8D4E', integrationId: '01HZY1V6QK3M7W3X9T2B5C8D4F', tagged: false },
  tagged: { id: '01HZY1V6QK3M7W3X9T2B5C8D4H', integrationId: '01HZY1V6QK3M7W3X9T2B5C8D4J', tagged: true },
} as const;
export type BenchCaller = (typeof BENCH_CALLERS)[keyof typeof BENCH_CALLERS];

/** `integrations.v1.resolve` at its contract, for the bench's two callers (by the request's caller id). */
export function answerResolve(nc: NatsConnection): void {
  const replies = new Map<string, string>(
    Object.values(BENCH_CALLERS).map((caller) => [
      caller.id,
      JSON.stringify({
        ok: true,
        data: {
          caller: { type: 'stack', id: caller.id, slug: 'network', spaceId: 'root', labels: [] },
          integrations: [
            {
              integration: {
                id: caller.integrationId,
                account: 'acme',
                name: 'bench',
                roleArn: 'arn:aws:iam::222222222222:role/runtrail-demo',
                durationSeconds: 900,
                region: 'us-east-1',
                labels: [],
                spaceId: 'root',
                mode: 'platform',
                sessionTagging: caller.tagged,
                sourceIdentity: caller.tagged,
                customExternalId: null,
                healthy: true,
                version: 1,
              },
              attachmentId: '01HZY1V6QK3M7W3X9T2B5C8D4G',
              externalId: `acme@${caller.integrationId}@network@write`,
            },
          ],
        },
      }),
    ]),
  );
  nc.subscribe(ResolveIntegrationsRequest.subject, {
    queue: 'bench',
    callback: (_e, msg) => {
      const { callerId } = msg.json<{ callerId: string }>();
      const notFound = { ok: false, error: { code: 'NOT_FOUND', message: `the bench has no caller ${callerId}` } };
      msg.respond(replies.get(callerId) ?? JSON.stringify(notFound));
    },
  });
}
