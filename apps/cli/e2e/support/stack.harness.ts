import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { IntegrationMode, IntegrationSnapshot, RunType } from '@runtrail/contracts';
import { MessageBus } from '@runtrail/messaging';
import {
  DEFAULT_EMULATOR_SEED,
  freePort,
  startNatsCluster,
  startPostgresCluster,
  startShippedNatsServer,
  startTestEmulator,
  type AwsEmulator,
  type NatsCluster,
  type RunningPostgresCluster,
  type Seed,
  type ShippedNatsServer,
} from '@runtrail/testing';
import { ulid } from 'ulid';
import { CustomerIam, IntegrationsApi, type CreatedIntegration } from './integrations.api';
import { IntegrationsResponder } from './integrations.responder';
import { ROOT, ServiceProcess } from './service.process';

export const CUSTOMER = '222222222222';
export const PLATFORM_KEY = {
  accessKeyId: 'AKIA1111RUNTRAIL0001',
  secretAccessKey: 'runtrail-platform-local-secret-not-a-real-key',
};
export const CUSTOMER_ADMIN = {
  accessKeyId: 'AKIA2222CUSTOMERADM1',
  secretAccessKey: 'customer-admin-local-secret-not-a-real-key',
};
export const DEMO_ROLE = `arn:aws:iam::${CUSTOMER}:role/runtrail-demo`;
export const WORKER_ROLE = `arn:aws:iam::${CUSTOMER}:role/runtrail-worker`;
export const OIDC_ROLE = `arn:aws:iam::${CUSTOMER}:role/runtrail-oidc`;
/** runtrail's own AWS account in the emulator (`PLATFORM_AWS_ACCOUNT_ID` of the services). */
export const PLATFORM_ACCOUNT = '111111111111';
/** A sub no token has: the OIDC role trusts no caller until `register` names one. */
const NO_CALLER_YET = 'space:root:stack:no-caller-registered-yet:*';
const BOOTSTRAP_TOKEN = randomBytes(24).toString('hex');
/** The worker pool `runtrail exec` logs in as (deploy/nats/auth.conf). */
export const WORKER_POOL = 'worker-pool-default';
/**
 * The worker ids auth.conf pins for that pool: its user may read only their delivery consumers,
 * which the setup step makes. Worker ids of no pool work only where no `exec` reads them.
 */
export const POOL_WORKERS = ['worker-01', 'worker-02', 'worker-03'] as const;
/** The worker id `execRun` and the suites' `runtrail exec` run as. */
export const WORKER_ID = POOL_WORKERS[0];

/** The default seed plus a role the customer's own workers assume (worker mode). */
function seed(): Seed {
  const base = JSON.parse(readFileSync(DEFAULT_EMULATOR_SEED, 'utf8')) as Seed;
  const customer = base.accounts.find((a) => a.id === CUSTOMER)!;
  customer.roles = [
    ...(customer.roles ?? []),
    {
      name: 'runtrail-worker',
      maxSessionDuration: 3600,
      assumeRolePolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${CUSTOMER}:root` },
            Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
            Condition: { StringLike: { 'sts:ExternalId': 'acme@*' } },
          },
        ],
      },
    },
  ];
  return base;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface StackOptions {
  brokerDatabaseUrl?: string;
  brokers?: number;
  /**
   * `real`: the integrations and verifier services as processes of the build, driven through the
   * REST API (`api`). `responder` (default): `integrations.v1.resolve` answered from a table, for
   * suites about the broker's own behaviour that need no admin side.
   */
  integrations?: 'real' | 'responder';
  /**
   * Create the IAM OIDC provider for acme's issuer and the `runtrail-oidc` role at start (default
   * true). Suites that create the provider themselves, as a user would, turn it off: IAM holds one
   * provider per URL.
   */
  oidcRole?: boolean;
  /**
   * Also start the audit service (needs `integrations: 'real'`: its REST API checks integrations'
   * API keys), as its NATS user of auth.conf with its shipped variables; `auditUrl` is its API.
   * `true` polls trail sources every second (`AUDIT_POLL_INTERVAL_MS`); pass variables to override.
   */
  audit?: boolean | Record<string, string>;
  /**
   * `cluster`: three nats-server nodes clustered with JetStream (`startNatsCluster`), set up by
   * `runtrail nats setup --replicas 3`; every service and `runtrail exec` gets `NATS_URL` listing
   * every node and `NATS_STREAM_REPLICAS=3`, as deploy/k8s runs them. Default: one nats-server.
   */
  nats?: 'server' | 'cluster';
  /**
   * Start PostgreSQL (`startPostgresCluster`) and put the brokers (unless `brokerDatabaseUrl`) and
   * audit on it, as replicas sharing one database need.
   */
  postgres?: boolean;
}

/** The NATS the stack runs on: one shipped nats-server or a cluster, both with auth.conf's users. */
export type StackNats = Pick<ShippedNatsServer, 'url' | 'login' | 'stop'>;

/** A run `execRun` schedules: its caller, and optionally its type, space and integration. */
export interface ScheduledRun {
  runId: string;
  callerId: string;
  slug: string;
  /** Default `TRACKED`. */
  runType?: RunType;
  /** Default `root`. */
  spaceId?: string;
  /** Which integration's credentials the command gets, when several are attached. */
  integrationId?: string;
  /** One of `POOL_WORKERS` (default `WORKER_ID`). */
  workerId?: string;
  /** `--timeout` of exec, in seconds (default 20). */
  timeoutSeconds?: number;
}

/**
 * The real stack for end-to-end tests: nats-server, the aws-emulator, oidc-issuer and N
 * credential-broker replicas as processes of the build, and either the integrations and verifier
 * services (also processes of the build) or a contract-level integrations responder, and optionally
 * the audit service (`audit`).
 *
 * NATS runs the shipped deploy/nats/auth.conf with fresh passwords: the setup step is the real
 * `runtrail nats setup` as `runtrail-admin` (with the pool's workers `POOL_WORKERS`), every service
 * logs in as its own user, the responder as `integrations`, `runtrail exec` as `WORKER_POOL`.
 */
export class E2eStack {
  brokers: ServiceProcess[] = [];
  /** Connections per user (`connectAs`), closed by `stop`. */
  private readonly connections = new Map<string, Promise<NatsConnection>>();
  /** integrations and verifier, in `real` mode, and audit with `audit`. */
  readonly services: ServiceProcess[] = [];
  readonly execOutputs: string[] = [];
  private integrationsApi?: IntegrationsApi;
  /** `RUNTRAIL_URL` and `RUNTRAIL_API_KEY` for `runtrail exec --publish-phases` (`real` mode). */
  private runsApiEnv: Record<string, string> = {};

  private constructor(
    readonly nats: StackNats,
    readonly emulator: AwsEmulator,
    readonly issuer: ServiceProcess,
    /** The operator's view (`runtrail-admin`): reads every stream and subject. */
    readonly nc: NatsConnection,
    readonly responder: IntegrationsResponder,
    readonly dataDir: string,
    readonly brokerDatabaseUrl: string,
    /** The emulator's clock runs this far ahead of the wall clock (tests of expiry move it). */
    readonly clock: { offsetMs: number },
    readonly iam: CustomerIam,
    /** The nodes, with `nats: 'cluster'` (fault tests kill and restart them). */
    readonly cluster: NatsCluster | undefined,
    /** PostgreSQL, with `postgres` (fault tests restart it). */
    readonly postgres: RunningPostgresCluster | undefined,
  ) {}

  static async start(options: StackOptions = {}): Promise<E2eStack> {
    const cluster = options.nats === 'cluster' ? await startNatsCluster() : undefined;
    const nats: StackNats = cluster ?? (await startShippedNatsServer());
    await natsSetup(nats, cluster ? 3 : undefined);
    const postgres = options.postgres ? await startPostgresCluster() : undefined;
    const dataDir = mkdtempSync(join(tmpdir(), 'runtrail-exec-e2e-'));
    const clock = { offsetMs: 0 };
    const emulator = await startTestEmulator({
      seed: seed(),
      clock: () => new Date(Date.now() + clock.offsetMs),
      // The emulator's own state file: `issuedSessions` reads the credentials STS handed out from it.
      snapshotFile: join(dataDir, 'aws-emulator.snapshot.json'),
    });
    const issuerPort = await freePort();
    const replicas: Record<string, string> = cluster ? { NATS_STREAM_REPLICAS: '3' } : {};
    const issuer = await ServiceProcess.start('oidc-issuer', issuerPort, {
      NATS_URL: nats.url,
      ...replicas,
      ...nats.login('oidc-issuer'),
      DATABASE_URL: `sqlite:${join(dataDir, 'oidc-issuer.sqlite')}`,
      OIDC_PUBLIC_URL: `http://127.0.0.1:${issuerPort}`,
      OIDC_KEK: randomBytes(32).toString('base64'),
    });
    const nc = await connect({
      servers: nats.url.split(','),
      name: 'e2e-operator',
      ...userPass(nats, 'runtrail-admin'),
      ...reconnectOf(nats),
    });
    // Stands in for integrations at its contract, so it logs in as integrations.
    const responder = new IntegrationsResponder(await connectUser(nats, 'integrations'));
    const real = options.integrations === 'real';
    if (!real) responder.start();
    const brokerDatabaseUrl =
      options.brokerDatabaseUrl ??
      (postgres ? `${postgres.url}/postgres` : `sqlite:${join(dataDir, 'broker.sqlite')}`);
    const iam = new CustomerIam(emulator.endpoint, CUSTOMER_ADMIN, PLATFORM_ACCOUNT);
    const stack = new E2eStack(
      nats,
      emulator,
      issuer,
      nc,
      responder,
      dataDir,
      brokerDatabaseUrl,
      clock,
      iam,
      cluster,
      postgres,
    );
    // With the real verifier the role must refuse callers it does not name: `register` pins its subs.
    if (options.oidcRole !== false)
      await iam.createOidcRole('runtrail-oidc', `http://127.0.0.1:${issuerPort}/oidc/acme`, [
        real ? NO_CALLER_YET : 'space:root:stack:*',
      ]);
    if (real) await stack.startIntegrations();
    if (options.audit) {
      if (!real) throw new Error("the audit service needs integrations: 'real' (its API keys)");
      await stack.startAudit(options.audit === true ? {} : options.audit);
    }
    for (let i = 0; i < (options.brokers ?? 1); i++) await stack.startBroker();
    return stack;
  }

  /** A bus on the operator's connection (`nc`). Publish run events with `busAs('integrations')`. */
  get bus(): MessageBus {
    return new MessageBus(this.nc);
  }

  /**
   * A connection as `user` of auth.conf (inbox prefix `_INBOX_<user>`), one per user. Tests stand
   * in for a party with its own user: run events as `integrations` (the only one that may publish
   * them), refresh requests as the worker pool.
   */
  connectAs(user: string): Promise<NatsConnection> {
    let connection = this.connections.get(user);
    if (!connection) {
      connection = connectUser(this.nats, user);
      this.connections.set(user, connection);
    }
    return connection;
  }

  /** A typed bus on `connectAs(user)`. */
  async busAs(user: string): Promise<MessageBus> {
    return new MessageBus(await this.connectAs(user));
  }

  /** `NATS_URL` and, on a cluster, `NATS_STREAM_REPLICAS`, with `user`'s login: a service's NATS settings. */
  private natsEnv(user: string): Record<string, string> {
    return {
      NATS_URL: this.nats.url,
      ...(this.cluster ? { NATS_STREAM_REPLICAS: '3' } : {}),
      ...this.nats.login(user),
    };
  }

  async startBroker(): Promise<ServiceProcess> {
    const broker = await ServiceProcess.start('credential-broker', await freePort(), {
      ...this.natsEnv('credential-broker'),
      DATABASE_URL: this.brokerDatabaseUrl,
      AWS_ENDPOINT_URL: this.emulator.endpoint,
      AWS_ACCESS_KEY_ID: PLATFORM_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: PLATFORM_KEY.secretAccessKey,
      AWS_REGION: 'us-east-1',
      LOG_LEVEL: 'verbose',
    });
    this.brokers.push(broker);
    return broker;
  }

  /** Base URL of the real integrations service (`real` mode only). */
  get integrationsUrl(): string {
    const service = this.services.find((s) => s.name === 'integrations');
    if (!service) throw new Error('the stack was started without the real integrations service');
    return `http://127.0.0.1:${service.port}`;
  }

  /** Base URL of oidc-issuer (`OIDC_PUBLIC_URL`): account `a`'s issuer is `<this>/oidc/a`. */
  get oidcPublicUrl(): string {
    return `http://127.0.0.1:${this.issuer.port}`;
  }

  /** `INTEGRATIONS_BOOTSTRAP_TOKEN` the operator started integrations with (account creation). */
  get bootstrapToken(): string {
    return BOOTSTRAP_TOKEN;
  }

  /** Another tenant of runtrail, bootstrapped as the first one was (`real` mode only). */
  tenant(slug: string): Promise<IntegrationsApi> {
    return IntegrationsApi.bootstrap(this.integrationsUrl, BOOTSTRAP_TOKEN, slug);
  }

  /**
   * `/usr/bin/aws --endpoint-url <emulator> ...args` as the customer's admin, with no host
   * configuration. Asynchronous on purpose: the emulator answers from this process.
   */
  awsCli(args: string[]): Promise<ExecResult> {
    return collect(
      spawn('/usr/bin/aws', ['--endpoint-url', this.emulator.endpoint, ...args], {
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          HOME: '/nonexistent',
          AWS_CONFIG_FILE: '/nonexistent/config',
          AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
          AWS_ACCESS_KEY_ID: CUSTOMER_ADMIN.accessKeyId,
          AWS_SECRET_ACCESS_KEY: CUSTOMER_ADMIN.secretAccessKey,
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_PAGER: '',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
  }

  /** `runtrail exec --publish-phases` as the scheduler of an acme run of `run`, running `command`. */
  execRun(run: ScheduledRun, command: string[]): Promise<ExecResult> {
    return this.exec([
      ...['--run', run.runId, '--worker', run.workerId ?? WORKER_ID, '--publish-phases', '--account', 'acme'],
      ...['--stack', run.callerId, '--caller-slug', run.slug, '--run-type', run.runType ?? 'TRACKED'],
      ...(run.spaceId ? ['--space', run.spaceId] : []),
      ...(run.integrationId ? ['--integration', run.integrationId] : []),
      ...['--timeout', String(run.timeoutSeconds ?? 20), '--', ...command],
    ]);
  }

  get auditDatabasePath(): string {
    return join(this.dataDir, 'audit.sqlite');
  }

  /** The audit service (started with `audit`). */
  get audit(): ServiceProcess {
    const service = this.services.find((s) => s.name === 'audit');
    if (!service) throw new Error('the stack was started without the audit service');
    return service;
  }

  /** Base URL of the audit service's REST API (`RUNTRAIL_URL` of the CLI's audit commands). */
  get auditUrl(): string {
    return `http://127.0.0.1:${this.audit.port}`;
  }

  /**
   * `runtrail <args>` from the build, as a user with `RUNTRAIL_URL` (default: audit's API) and
   * `RUNTRAIL_API_KEY` (`apiKey`) runs it.
   */
  async runtrail(args: string[], apiKey: string, env: Record<string, string> = {}): Promise<ExecResult> {
    return collect(
      spawn(process.execPath, [join(ROOT, 'dist/apps/cli/src/main.js'), ...args], {
        cwd: ROOT,
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          HOME: process.env['HOME'] ?? '/tmp',
          RUNTRAIL_URL: this.auditUrl,
          RUNTRAIL_API_KEY: apiKey,
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
  }

  /**
   * Every live session the emulator's STS issued, with its secret key and session token, from the
   * emulator's own state file (written now). For leak scans: what no log, row or event may hold.
   */
  issuedSessions(): Array<{
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken: string;
    roleArn: string;
    sessionName: string;
  }> {
    this.emulator.saveSnapshot();
    const snapshot = JSON.parse(readFileSync(join(this.dataDir, 'aws-emulator.snapshot.json'), 'utf8')) as {
      sessions: ReturnType<E2eStack['issuedSessions']>;
    };
    return snapshot.sessions;
  }

  get integrationsDatabasePath(): string {
    return join(this.dataDir, 'integrations.sqlite');
  }

  /** The REST API of the real integrations service, as acme's first admin (`real` mode only). */
  get api(): IntegrationsApi {
    if (!this.integrationsApi) throw new Error('the stack was started without the real integrations service');
    return this.integrationsApi;
  }

  private async startIntegrations(): Promise<void> {
    this.services.push(
      await ServiceProcess.start('verifier', await freePort(), {
        ...this.natsEnv('verifier'),
        DATABASE_URL: 'sqlite::memory:',
        AWS_ENDPOINT_URL: this.emulator.endpoint,
        AWS_ACCESS_KEY_ID: PLATFORM_KEY.accessKeyId,
        AWS_SECRET_ACCESS_KEY: PLATFORM_KEY.secretAccessKey,
        AWS_REGION: 'us-east-1',
        // The emulator is consistent at once: a refusal is final, no need to wait out IAM.
        VERIFIER_RETRY_ATTEMPTS: '2',
        VERIFIER_RETRY_BASE_DELAY_MS: '50',
        LOG_LEVEL: 'verbose',
      }),
    );
    const integrations = await ServiceProcess.start('integrations', await freePort(), {
      ...this.natsEnv('integrations'),
      DATABASE_URL: `sqlite:${this.integrationsDatabasePath}`,
      INTEGRATIONS_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN,
      PLATFORM_AWS_ACCOUNT_ID: PLATFORM_ACCOUNT,
      // Health stays what the save verified: tests that break a role later see the broker's view.
      INTEGRATIONS_REVERIFY_INTERVAL_S: '0',
      LOG_LEVEL: 'verbose',
    });
    this.services.push(integrations);
    this.integrationsApi = await IntegrationsApi.bootstrap(
      `http://127.0.0.1:${integrations.port}`,
      BOOTSTRAP_TOKEN,
      'acme',
    );
    // What a scheduler holds: the runs API's URL and a scheduler key (runtrail exec --publish-phases).
    this.runsApiEnv = {
      RUNTRAIL_URL: `http://127.0.0.1:${integrations.port}`,
      RUNTRAIL_API_KEY: await this.integrationsApi.createApiKey('e2e-scheduler', 'scheduler'),
    };
  }

  /** The audit service as compose runs it: its NATS user, its database, runtrail's own AWS identity. */
  private async startAudit(env: Record<string, string>): Promise<void> {
    this.services.push(
      await ServiceProcess.start('audit', await freePort(), {
        ...this.natsEnv('audit'),
        DATABASE_URL: this.postgres ? `${this.postgres.url}/postgres` : `sqlite:${this.auditDatabasePath}`,
        AWS_ENDPOINT_URL: this.emulator.endpoint,
        AWS_ACCESS_KEY_ID: PLATFORM_KEY.accessKeyId,
        AWS_SECRET_ACCESS_KEY: PLATFORM_KEY.secretAccessKey,
        AWS_REGION: 'us-east-1',
        PLATFORM_AWS_ACCOUNT_ID: PLATFORM_ACCOUNT,
        AUDIT_POLL_INTERVAL_MS: '1000',
        LOG_LEVEL: 'verbose',
        ...env,
      }),
    );
  }

  /**
   * Through the real integrations API, as a user: stack `slug` of `acme`, and per given mode an
   * integration on the role made for it, attached for read and write. Every save is verified.
   * SourceIdentity is off, the API's default, unless `options.sourceIdentity`.
   */
  async register(
    modes: IntegrationMode[],
    slug: string,
    options: { sourceIdentity?: boolean } = {},
  ): Promise<{ callerId: string; slug: string; integrations: CreatedIntegration[] }> {
    const callerId = await this.api.registerStack(slug);
    if (modes.includes('oidc')) await this.iam.trustOidcSubs('runtrail-oidc', [`space:root:stack:${slug}:*`]);
    const integrations: CreatedIntegration[] = [];
    for (const mode of modes) {
      const { roleArn, durationSeconds, region, sessionTagging } = integration(mode);
      const created = await this.api.createIntegration({
        name: `${slug}-${mode}`,
        roleArn,
        mode,
        durationSeconds,
        region: region ?? 'us-east-1',
        sessionTagging,
        sourceIdentity: options.sourceIdentity,
      });
      await this.api.attach(created.id, callerId);
      integrations.push(created);
    }
    return { callerId, slug, integrations };
  }

  /** A stack caller of `acme` attached to one new integration per given mode (read and write). */
  caller(
    modes: IntegrationMode[],
    slug = 'network',
  ): { callerId: string; slug: string; integrations: IntegrationSnapshot[] } {
    const callerId = ulid();
    const integrations = modes.map((mode) => integration(mode));
    this.responder.register(callerId, {
      slug,
      type: 'stack',
      attachments: integrations.map((i) => ({
        integration: i,
        attachmentId: ulid(),
        read: true,
        write: true,
      })),
    });
    return { callerId, slug, integrations };
  }

  /**
   * `runtrail exec` from the build as a worker of `WORKER_POOL` (NATS_USER + NATS_PASSWORD), with
   * the worker's own AWS identity (used in worker mode only).
   */
  async exec(args: string[], env: Record<string, string> = {}): Promise<ExecResult> {
    const result = await collect(
      spawn(process.execPath, [join(ROOT, 'dist/apps/cli/src/main.js'), 'exec', ...args], {
        cwd: ROOT,
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          HOME: process.env['HOME'] ?? '/tmp',
          NATS_URL: this.nats.url,
          ...this.nats.login(WORKER_POOL),
          AWS_ENDPOINT_URL: this.emulator.endpoint,
          AWS_ACCESS_KEY_ID: CUSTOMER_ADMIN.accessKeyId,
          AWS_SECRET_ACCESS_KEY: CUSTOMER_ADMIN.secretAccessKey,
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          ...this.runsApiEnv,
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    this.execOutputs.push(result.stdout, result.stderr);
    return result;
  }

  /** Every message a stream holds (optionally under one subject filter). */
  async streamMessages(stream: string, subject?: string): Promise<Array<{ subject: string; data: string }>> {
    const consumer = await jetstream(this.nc).consumers.get(
      stream,
      subject ? { filter_subjects: subject } : {},
    );
    const pending = (await consumer.info()).num_pending;
    const out: Array<{ subject: string; data: string }> = [];
    while (out.length < pending) {
      const batch = await consumer.fetch({
        max_messages: Math.min(500, pending - out.length),
        expires: 5000,
      });
      for await (const m of batch) out.push({ subject: m.subject, data: m.string() });
    }
    return out;
  }

  async stop(): Promise<void> {
    for (const broker of this.brokers) await broker.stop();
    for (const service of this.services.reverse()) await service.stop();
    await this.issuer.stop();
    this.responder.stop();
    this.iam.destroy();
    for (const connection of this.connections.values())
      await connection.then((c) => c.drain()).catch(() => undefined);
    await this.responder.nc.drain().catch(() => undefined);
    await this.nc.drain().catch(() => undefined);
    await this.emulator.stop();
    await this.nats.stop();
    await this.postgres?.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

function userPass(nats: StackNats, user: string): { user: string; pass: string } {
  const { NATS_USER, NATS_PASSWORD } = nats.login(user);
  return { user: NATS_USER, pass: NATS_PASSWORD };
}

function connectUser(nats: StackNats, user: string): Promise<NatsConnection> {
  return connect({
    servers: nats.url.split(','),
    name: `e2e-${user}`,
    inboxPrefix: `_INBOX_${user}`,
    ...userPass(nats, user),
    ...reconnectOf(nats),
  });
}

/** On a cluster the test's own connections outlive any node's outage (a killed node comes back). */
function reconnectOf(nats: StackNats): { maxReconnectAttempts?: number; reconnectTimeWait?: number } {
  return nats.url.includes(',') ? { maxReconnectAttempts: -1, reconnectTimeWait: 250 } : {};
}

/**
 * The operator's step: `runtrail nats setup` from the build as `runtrail-admin`, with the pool's
 * workers (and `--replicas` on a cluster).
 */
async function natsSetup(nats: StackNats, replicas?: number): Promise<void> {
  const setup = await collect(
    spawn(
      process.execPath,
      [
        join(ROOT, 'dist/apps/cli/src/main.js'),
        'nats',
        'setup',
        ...POOL_WORKERS.flatMap((w) => ['--worker', w]),
        ...(replicas ? ['--replicas', String(replicas)] : []),
      ],
      {
        cwd: ROOT,
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          NATS_URL: nats.url,
          ...nats.login('runtrail-admin'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    ),
  );
  if (setup.code !== 0) {
    await nats.stop();
    throw new Error(`runtrail nats setup failed (${setup.code}):\n${setup.stdout}${setup.stderr}`);
  }
}

/** A child's exit code and everything it printed. */
function collect(child: ChildProcessByStdio<null, Readable, Readable>): Promise<ExecResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** An `acme` integration in the given mode, on the role the emulator's seed (or the stack) made for it. */
export function integration(mode: IntegrationMode): IntegrationSnapshot {
  const roleArn = mode === 'platform' ? DEMO_ROLE : mode === 'worker' ? WORKER_ROLE : OIDC_ROLE;
  return {
    id: ulid(),
    account: 'acme',
    name: `demo-${mode}`,
    roleArn,
    durationSeconds: 900,
    region: 'us-east-1',
    labels: [],
    spaceId: 'root',
    mode,
    sessionTagging: mode === 'platform',
    sourceIdentity: true,
    customExternalId: null,
    healthy: true,
    version: 1,
  };
}
