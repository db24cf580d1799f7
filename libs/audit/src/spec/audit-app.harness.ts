import type { INestApplication } from '@nestjs/common';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { bootstrapService } from '@runtrail/bootstrap';
import { loadConfig } from '@runtrail/config';
import {
  AuthenticateApiKeyRequest,
  FindingRaisedEvent,
  type AuthenticatedKey,
  type FindingRaised,
} from '@runtrail/contracts';
import { MessageBus } from '@runtrail/messaging';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { ulid } from 'ulid';
import { auditEnv } from '../lib/audit.env';
import { AuditModule, type AuditModuleOptions } from '../lib/audit.module';

/** An API key in integrations' format, and what integrations would answer for it. */
export interface FakeKey {
  token: string;
  answer: AuthenticatedKey;
}

/** A key of integrations' shape (`rtk.<ULID>.<43 chars>`). */
export function fakeKey(answer: AuthenticatedKey): FakeKey & { keyId: string; secretSha256: string } {
  const keyId = ulid();
  const secret = randomBytes(32).toString('base64url');
  return { token: `rtk.${keyId}.${secret}`, answer, keyId, secretSha256: createHash('sha256').update(secret).digest('hex') };
}

/** A worker's P-256 public key, as the scheduler puts in a phase event. */
export function workerPublicKey(): { kty: 'EC'; crv: 'P-256'; x: string; y: string } {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  return { kty: 'EC', crv: 'P-256', x: String(jwk.x), y: String(jwk.y) };
}

/**
 * The audit service as production runs it (HTTP + JetStream + database) plus, on the same NATS,
 * a stand-in for integrations answering `integrations.v1.authenticate` (the contract is the
 * boundary) and a subscriber collecting `audit.v1.finding`.
 */
export class AuditApp {
  readonly findings: FindingRaised[] = [];
  private readonly keys = new Map<string, AuthenticatedKey>();

  private constructor(
    readonly app: INestApplication,
    readonly baseUrl: string,
    readonly client: NatsConnection,
    readonly bus: MessageBus,
    private readonly subs: Subscription[],
  ) {}

  static async start(options: { natsUrl: string; port: number; vars: Record<string, string>; module?: AuditModuleOptions }): Promise<AuditApp> {
    const env = loadConfig(auditEnv, { NATS_URL: options.natsUrl, AUDIT_SWEEP_INTERVAL_MS: '0', ...options.vars });
    const app = await bootstrapService({
      name: 'audit',
      modules: [AuditModule.forRoot(env, options.module)],
      http: { host: '127.0.0.1', port: options.port },
      nats: { servers: [options.natsUrl] },
      logLevel: 'warn',
    });
    const client = await connect({ servers: options.natsUrl });
    const harness = new AuditApp(app, `http://127.0.0.1:${options.port}`, client, new MessageBus(client), []);
    harness.listen();
    return harness;
  }

  /** Registers a key the fake integrations service accepts. */
  addKey(answer: AuthenticatedKey): string {
    const key = fakeKey(answer);
    this.keys.set(`${key.keyId}:${key.secretSha256}`, answer);
    return key.token;
  }

  private listen(): void {
    const auth = this.client.subscribe(AuthenticateApiKeyRequest.subject);
    void (async () => {
      for await (const msg of auth) {
        const request = JSON.parse(new TextDecoder().decode(msg.data)) as { keyId: string; secretSha256: string };
        const answer = this.keys.get(`${request.keyId}:${request.secretSha256}`);
        msg.respond(JSON.stringify(answer
          ? { ok: true, data: answer }
          : { ok: false, error: { code: 'UNAUTHENTICATED', message: 'the API key is unknown, revoked or wrong' } }));
      }
    })();
    const findings = this.client.subscribe(FindingRaisedEvent.name);
    void (async () => {
      for await (const msg of findings) this.findings.push(JSON.parse(new TextDecoder().decode(msg.data)) as FindingRaised);
    })();
    this.subs.push(auth, findings);
  }

  async get<T>(path: string, token: string | null): Promise<{ status: number; body: T; headers: Headers; text: string }> {
    const response = await fetch(`${this.baseUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const text = await response.text();
    const json = response.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as T) : (undefined as T);
    return { status: response.status, body: json, headers: response.headers, text };
  }

  async close(): Promise<void> {
    for (const sub of this.subs) sub.unsubscribe();
    await this.client.drain();
    await this.app.close();
  }
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
