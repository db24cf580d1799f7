import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RuntrailError } from '@runtrail/contracts';
import type { CloudTrailRecord } from '@runtrail/cloudtrail';
import type { EmulatorCore } from './lib/actions/action.types';
import {
  emulatorOptionsSchema,
  type AwsEmulatorOptions,
  type ValidEmulatorOptions,
} from './lib/emulator-options.schema';
import { stateView, type EmulatorStateView } from './lib/emulator-state.view';
import { FaultInjector } from './lib/faults/fault-injector';
import { faultRulesSchema, type FaultRule, type ValidFaultRule } from './lib/faults/fault-rule.schema';
import { createRequestListener } from './lib/http/emulator-server';
import { RequestCounter, type RequestCount } from './lib/http/request-counter';
import { OidcKeyResolver } from './lib/oidc/oidc-key-resolver';
import { loadSeed } from './lib/seed/load-seed';
import { IamStore, SeedPolicyError } from './lib/state/iam-store';
import { SessionStore } from './lib/state/session-store';
import { readSnapshot, restoreSnapshot, writeSnapshot } from './lib/state/snapshot';
import { TrailBucketStore } from './lib/s3/trail-bucket-store';
import { folderSink, LogFileWriter, type LogFileSink } from './lib/trail/log-file-writer';
import { LookupThrottle } from './lib/trail/lookup-throttle';
import { TrailRecorder } from './lib/trail/trail-recorder';
import { TrailStore } from './lib/trail/trail-store';

/** A seeded IAM user's access key, for printing at start (fake local credentials). */
export interface SeededCredential {
  accountId: string;
  accountAlias: string | null;
  userName: string;
  userArn: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** A running emulator. */
export interface AwsEmulator {
  /** `http://<host>:<port>` (loopback when listening on all interfaces): the endpoint_url for STS, IAM and CloudTrail clients. */
  readonly endpoint: string;
  readonly port: number;
  readonly state: EmulatorStateView;
  /** Replaces the fault rules (validated like `POST /_emulator/faults`). */
  setFaults(rules: FaultRule[]): void;
  faults(): ValidFaultRule[];
  /** Requests received per (action, account of the signing key, region). */
  requestCounts(filter?: Partial<Omit<RequestCount, 'count'>>): RequestCount[];
  /** Wall-clock arrival times (ms) of one (action, account, region)'s requests. */
  requestTimes(action: string, accountId: string, region: string): number[];
  resetRequestCounts(): void;
  /** Every CloudTrail record of an account, oldest first (delivery delay ignored). */
  events(accountId: string): CloudTrailRecord[];
  seededCredentials(): SeededCredential[];
  /**
   * Delivers pending CloudTrail log files now, to the trail buckets and `trailDir`; resolves with
   * the paths written under `trailDir` ([] without it).
   */
  flushLogs(): Promise<string[]>;
  /**
   * Test seam: puts an object into a seeded trail bucket as if it had been delivered at `at`
   * (default now), e.g. a log file delivered late or a corrupt one. Throws for an unknown bucket.
   */
  putTrailObject(bucket: string, key: string, body: Buffer, at?: Date): void;
  /** Writes the snapshot file now (no-op without snapshotFile). */
  saveSnapshot(): void;
  /** Stops listening, flushes log files and writes the snapshot. Idempotent. */
  stop(): Promise<void>;
}

const SWEEP_INTERVAL_MS = 60_000;

/**
 * Starts a local multi-account STS + IAM + CloudTrail on `host:port` (port 0: a free one) that
 * AWS CLIs and SDKs accept unchanged apart from their endpoint URL. Throws `VALIDATION_FAILED`
 * naming every bad option or seed field.
 */
export async function startAwsEmulator(options: AwsEmulatorOptions): Promise<AwsEmulator> {
  const opts = validateOptions(options);
  const clock = opts.clock ?? (() => new Date());
  const snapshot = opts.snapshotFile ? readSnapshot(opts.snapshotFile) : null;
  const iam = buildIam(snapshot?.seed ?? opts.seed, clock());
  const sessions = new SessionStore(snapshot ? Buffer.from(snapshot.tokenKey, 'base64') : undefined);
  const trail = new TrailStore(opts.maxEventsPerAccount);
  const buckets = new TrailBucketStore(iam.accounts.values());
  const sinks: LogFileSink[] = [
    ...(opts.trailDir ? [folderSink(opts.trailDir)] : []),
    ...(buckets.size ? [buckets] : []),
  ];
  const writer = sinks.length ? new LogFileWriter(sinks, clock) : null;
  if (snapshot) restoreSnapshot(snapshot, sessions, trail, clock());

  const core: EmulatorCore = {
    iam,
    sessions,
    trail,
    oidc: new OidcKeyResolver(opts.jwksCacheTtlMs),
    lookupThrottle: opts.lookupThrottle ? new LookupThrottle() : null,
    clock,
  };
  const faults = new FaultInjector(opts.faults);
  const counter = new RequestCounter();
  const flushLogs = () => writer?.flush() ?? Promise.resolve([]);
  const saveSnapshot = () => {
    if (opts.snapshotFile) writeSnapshot(opts.snapshotFile, iam, sessions, trail, clock());
  };
  const startedAt = Date.now();
  let endpoint = '';
  const server = createServer(
    { keepAlive: true },
    createRequestListener({
      core,
      recorder: new TrailRecorder(trail, writer, opts.deliveryDelayMs),
      faults,
      counter,
      buckets,
      defaultRegion: opts.defaultRegion,
      log: opts.log ?? (() => undefined),
      admin: {
        health: () => ({
          status: 'ok',
          endpoint,
          accounts: [...iam.accounts.keys()],
          sessions: sessions.size,
          uptimeMs: Date.now() - startedAt,
        }),
        faults: () => faults.list(),
        setFaults: (rules) => faults.set(rules),
        requestCounts: () => counter.counts(),
        resetRequestCounts: () => counter.reset(),
        flushLogs,
      },
    }),
  );
  const port = await listen(server, opts.port, opts.host);
  // Listening on every interface: clients on this machine reach it through loopback.
  const reachable = opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host === '::' ? '::1' : opts.host;
  endpoint = `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;

  const timers = [
    setInterval(
      () => void flushLogs().catch((e: Error) => opts.log?.(`aws-emulator: log flush failed: ${e.message}`)),
      opts.flushIntervalMs,
    ),
    setInterval(() => sessions.sweep(clock()), SWEEP_INTERVAL_MS),
  ];
  for (const t of timers) t.unref();

  let stopping: Promise<void> | null = null;
  return {
    endpoint,
    port,
    state: stateView(iam, sessions),
    setFaults: (rules) => faults.set(validateFaults(rules)),
    faults: () => faults.list(),
    requestCounts: (filter) => counter.counts(filter),
    requestTimes: (action, accountId, region) => counter.times(action, accountId, region),
    resetRequestCounts: () => counter.reset(),
    events: (accountId) => trail.all(accountId).map((e) => e.record),
    seededCredentials: () => seededCredentials(iam),
    flushLogs,
    putTrailObject(bucket, key, body, at) {
      if (!buckets.putObject(bucket, key, body, at ?? clock())) throw new Error(`no trail bucket ${bucket} in the seed`);
    },
    saveSnapshot,
    stop() {
      stopping ??= (async () => {
        for (const t of timers) clearInterval(t);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await flushLogs();
        saveSnapshot();
      })();
      return stopping;
    },
  };
}

function validateOptions(options: AwsEmulatorOptions): ValidEmulatorOptions {
  const parsed = emulatorOptionsSchema.safeParse(options);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(options)', rule: i.message }));
  throw new RuntrailError(
    'VALIDATION_FAILED',
    `Invalid aws-emulator options: ${issues.map((i) => `${i.path}: ${i.rule}`).join('; ')}`,
    issues,
  );
}

function validateFaults(rules: FaultRule[]): ValidFaultRule[] {
  const parsed = faultRulesSchema.safeParse(rules);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), rule: i.message }));
  throw new RuntrailError(
    'VALIDATION_FAILED',
    `Invalid fault rules: ${issues.map((i) => `${i.path}: ${i.rule}`).join('; ')}`,
    issues,
  );
}

function buildIam(seed: ValidEmulatorOptions['seed'], now: Date): IamStore {
  const valid = loadSeed(seed);
  try {
    return new IamStore(valid, now);
  } catch (error) {
    if (!(error instanceof SeedPolicyError)) throw error;
    const where = typeof seed === 'string' ? seed : 'the seed object';
    throw new RuntrailError('VALIDATION_FAILED', `Invalid emulator seed (${where}): ${error.message}`, [
      { path: 'accounts', rule: error.message },
    ]);
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function seededCredentials(iam: IamStore): SeededCredential[] {
  const out: SeededCredential[] = [];
  for (const account of iam.accounts.values()) {
    for (const user of account.users.values()) {
      for (const key of user.accessKeys) {
        if (key.status !== 'Active') continue;
        out.push({
          accountId: account.id,
          accountAlias: account.alias,
          userName: user.name,
          userArn: user.arn,
          accessKeyId: key.accessKeyId,
          secretAccessKey: key.secretAccessKey,
        });
      }
    }
  }
  return out;
}
