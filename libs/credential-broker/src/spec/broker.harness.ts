import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type {
  AssumeRoleInput,
  AssumeRoleWithWebIdentityInput,
  TemporaryCredentials,
} from '@runtrail/aws-sts';
import { bootstrapService } from '@runtrail/bootstrap';
import { loadConfig } from '@runtrail/config';
import {
  IssueTokenRequest,
  ResolveIntegrationsRequest,
  credentialsFailedSchema,
  credentialsIssuedSchema,
  deliveryPlaintextSchema,
  deliverySchema,
  type CredentialsFailed,
  type CredentialsIssued,
  type Delivery,
  type DeliveryPlaintext,
  type IntegrationSnapshot,
  type ReplyOf,
  type RequestOf,
} from '@runtrail/contracts';
import { MessageBus } from '@runtrail/messaging';
import { generateSealingKeyPair, open, seal, type SealingKeyPair } from '@runtrail/sealing';
import { Clock } from '../lib/clock';
import { credentialBrokerEnv } from '../lib/credential-broker.env';
import { CredentialBrokerModule } from '../lib/credential-broker.module';
import { StsAdapter } from '../lib/sts/sts.adapter';

export type ResolveRequest = RequestOf<typeof ResolveIntegrationsRequest>;
export type ResolveReply = ReplyOf<typeof ResolveIntegrationsRequest>;
export type TokenRequest = RequestOf<typeof IssueTokenRequest>;

/** STS that hands out numbered sessions (of the asked duration) and records every call. */
export class CountingSts extends StsAdapter {
  calls = 0;
  readonly inputs: AssumeRoleInput[] = [];
  readonly webIdentityInputs: AssumeRoleWithWebIdentityInput[] = [];

  async assumeRole(input: AssumeRoleInput): Promise<TemporaryCredentials> {
    this.inputs.push(input);
    return this.session(input.sessionName, input.durationSeconds);
  }

  async assumeRoleWithWebIdentity(input: AssumeRoleWithWebIdentityInput): Promise<TemporaryCredentials> {
    this.webIdentityInputs.push(input);
    return this.session(input.sessionName, input.durationSeconds);
  }

  private session(sessionName: string, durationSeconds = 900): TemporaryCredentials {
    this.calls++;
    const n = String(this.calls).padStart(4, '0');
    return {
      accessKeyId: `ASIAFAKESESSION0${n}`,
      secretAccessKey: `secret-${n}-${'x'.repeat(30)}`,
      sessionToken: `token-${n}`,
      expiration: new Date(Date.now() + durationSeconds * 1000),
      assumedRoleArn: `arn:aws:sts::222222222222:assumed-role/deploy/${sessionName}`,
    };
  }
}

/** A clock tests move by hand: the broker's "now" for lifetimes, leases and timestamps. */
export class ManualClock extends Clock {
  private at = Date.now();

  now(): Date {
    return new Date(this.at);
  }

  advance(ms: number): void {
    this.at += ms;
  }
}

/** An integration snapshot as integrations' `resolve` sends it; `overrides` change any field. */
export function snapshot(id: string, overrides: Partial<IntegrationSnapshot> = {}): IntegrationSnapshot {
  return {
    id,
    account: 'acme',
    name: 'deploy',
    roleArn: 'arn:aws:iam::222222222222:role/deploy',
    durationSeconds: 900,
    region: null,
    labels: [],
    spaceId: 'root',
    mode: 'platform',
    sessionTagging: false,
    sourceIdentity: true,
    customExternalId: null,
    healthy: true,
    version: 1,
    ...overrides,
  };
}

/** The broker as production runs it (HTTP + NATS + SQLite), with integrations and oidc-issuer stood in for on NATS. */
export interface BrokerHarness {
  app: INestApplication;
  nc: NatsConnection;
  bus: MessageBus;
  sts: CountingSts;
  /** The run's worker key pair: deliveries are sealed to its public half. */
  keys: SealingKeyPair;
  issued: CredentialsIssued[];
  failed: CredentialsFailed[];
  /** Every `oidc.v1.issue` request the broker made. */
  tokenRequests: TokenRequest[];
  stop(): Promise<void>;
}

/** Where the broker runs: a nats-server already set up (libs/testing's `startNatsServer`) and a free HTTP port. */
export interface BrokerServers {
  natsUrl: string;
  httpPort: number;
}

/**
 * Starts a broker whose `integrations.v1.resolve` is answered by `resolve` (its reply is
 * `{ ok: true, data }`; the wire format may hold snapshots older than the contract, hence `unknown`).
 */
export async function startBroker(
  servers: BrokerServers,
  resolve: (request: ResolveRequest) => unknown,
  options: { clock?: Clock } = {},
): Promise<BrokerHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'runtrail-broker-int-'));
  const sts = new CountingSts();
  const keys = await generateSealingKeyPair();
  const nc = await connect({ servers: servers.natsUrl });
  const issued: CredentialsIssued[] = [];
  const failed: CredentialsFailed[] = [];
  const tokenRequests: TokenRequest[] = [];
  nc.subscribe(ResolveIntegrationsRequest.subject, {
    callback: (_e, msg) =>
      void msg.respond(JSON.stringify({ ok: true, data: resolve(msg.json() as ResolveRequest) })),
  });
  nc.subscribe(IssueTokenRequest.subject, {
    callback: (_e, msg) =>
      void answerTokenRequest(msg.json() as TokenRequest, tokenRequests).then((r) => msg.respond(r)),
  });
  nc.subscribe('credentials.v1.issued', {
    callback: (_e, msg) => void issued.push(credentialsIssuedSchema.parse(msg.json())),
  });
  nc.subscribe('credentials.v1.failed', {
    callback: (_e, msg) => void failed.push(credentialsFailedSchema.parse(msg.json())),
  });
  const env = loadConfig(credentialBrokerEnv, {
    DATABASE_URL: `sqlite:${join(dir, 'broker.sqlite')}`,
    LOG_LEVEL: 'error',
  });
  const app = await bootstrapService({
    name: 'credential-broker',
    modules: [CredentialBrokerModule.forRoot(env, { sts, clock: options.clock })],
    http: { host: '127.0.0.1', port: servers.httpPort },
    nats: { servers: [servers.natsUrl] },
    logLevel: 'error',
  });
  return {
    app,
    nc,
    bus: new MessageBus(nc),
    sts,
    keys,
    issued,
    failed,
    tokenRequests,
    stop: async () => {
      await app.close();
      await nc.drain();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** oidc-issuer's answer: a stand-in token sealed to the request's one-shot key, as the real one does. */
async function answerTokenRequest(request: TokenRequest, seen: TokenRequest[]): Promise<string> {
  seen.push(request);
  const lifetime = request.lifetimeSeconds ?? 3600;
  const reply: ReplyOf<typeof IssueTokenRequest> = {
    sealedToken: await seal(`header.${request.runId}.signature`, request.replyKey),
    issuer: `http://127.0.0.1/oidc/${request.account}`,
    audience: request.audience ?? '127.0.0.1',
    subject: `space:${request.spaceId}:${request.callerType}:${request.callerSlug ?? request.callerId}`,
    kid: 'k1',
    expiresAt: new Date(Date.now() + lifetime * 1000).toISOString(),
  };
  return JSON.stringify({ ok: true, data: reply });
}

/** Every delivery of a run to worker `w1`, opened with the harness's worker key. */
export async function openedDeliveries(
  harness: Pick<BrokerHarness, 'nc' | 'keys'>,
  runId: string,
): Promise<Array<{ delivery: Delivery; plaintext: DeliveryPlaintext }>> {
  const consumer = await jetstream(harness.nc).consumers.get('DELIVERIES', {
    filter_subjects: `deliveries.v1.w1.${runId}`,
  });
  const out = [];
  for (let pending = (await consumer.info()).num_pending; pending > 0; pending--) {
    const msg = await consumer.next({ expires: 5000 });
    if (!msg) break;
    const delivery = deliverySchema.parse(msg.json());
    out.push({
      delivery,
      plaintext: await open(delivery.sealed, harness.keys.privateKey, deliveryPlaintextSchema),
    });
  }
  return out;
}

/** Polls `check` until it holds (10 s at most): waits on state, never a fixed sleep. */
export async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
