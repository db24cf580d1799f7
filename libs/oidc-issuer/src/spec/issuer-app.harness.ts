import type { INestApplication } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { bootstrapService } from '@runtrail/bootstrap';
import { IssueTokenRequest, type IssueTokenReply, type RequestOf } from '@runtrail/contracts';
import { MessageBus } from '@runtrail/messaging';
import { generateSealingKeyPair, open } from '@runtrail/sealing';
import { createLocalJWKSet, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { z } from 'zod';
import { KeyRotationService } from '../lib/keys/key-rotation.service';
import { OidcIssuerModule } from '../lib/oidc-issuer.module';
import type { ManualClock } from './manual.clock';
import { issuerEnv } from './issuer-env.fixture';

export type IssueInput = Omit<RequestOf<typeof IssueTokenRequest>, 'replyKey'>;

/** A run of acme's `network` stack, applying. */
export const APPLY_RUN: IssueInput = {
  account: 'acme',
  spaceId: 'root',
  callerType: 'stack',
  callerId: '01HZY1V6QK3M7W3X9T2B5C8D4E',
  callerSlug: 'network',
  runType: 'TRACKED',
  runId: '01DSJ63P40BAZY4VW8BXXG7M4K',
  scope: 'write',
};

/** Everything the service wrote to stdout and stderr while the harness ran. */
export class CapturedOutput {
  private chunks: string[] = [];
  private restore: Array<() => void> = [];

  start(): void {
    for (const stream of [process.stdout, process.stderr]) {
      const spy = jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        this.chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return true;
      });
      this.restore.push(() => spy.mockRestore());
    }
  }

  stop(): void {
    for (const restore of this.restore.splice(0)) restore();
  }

  get text(): string {
    return this.chunks.join('');
  }
}

/** The whole issuer as production runs it (bootstrapService: HTTP + NATS + database), on a free port. */
export class IssuerApp {
  private constructor(
    readonly app: INestApplication,
    readonly baseUrl: string,
    private readonly client: NatsConnection,
    readonly bus: MessageBus,
  ) {}

  static async start(options: { natsUrl: string; port: number; clock: ManualClock; vars: Record<string, string> }): Promise<IssuerApp> {
    const baseUrl = `http://127.0.0.1:${options.port}`;
    const env = issuerEnv({ OIDC_PUBLIC_URL: baseUrl, LOG_LEVEL: 'log', ...options.vars });
    const app = await bootstrapService({
      name: 'oidc-issuer',
      modules: [OidcIssuerModule.forRoot(env, { clock: options.clock, rotationTimer: false })],
      http: { host: '127.0.0.1', port: options.port },
      nats: { servers: [options.natsUrl] },
      logLevel: 'verbose',
    });
    const client = await connect({ servers: options.natsUrl });
    return new IssuerApp(app, baseUrl, client, new MessageBus(client));
  }

  issuerOf(account: string): string {
    return `${this.baseUrl}/oidc/${account}`;
  }

  jwksUrlOf(account: string): string {
    return `${this.issuerOf(account)}/.well-known/jwks`;
  }

  /** Asks for a token over NATS as the broker does, and opens the sealed reply. */
  async issue(input: Partial<IssueInput> = {}): Promise<{ reply: IssueTokenReply; token: string }> {
    const pair = await generateSealingKeyPair();
    const reply = await this.bus.request(IssueTokenRequest, { ...APPLY_RUN, ...input, replyKey: pair.publicJwk });
    return { reply, token: await open(reply.sealedToken, pair.privateKey, z.string()) };
  }

  /** One rotation check, as the timer would run it. */
  rotate(): Promise<void> {
    return this.app.get(KeyRotationService).tick();
  }

  async jwks(account = 'acme'): Promise<{ keys: Array<Record<string, string>> }> {
    const response = await fetch(this.jwksUrlOf(account));
    if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
    return (await response.json()) as { keys: Array<Record<string, string>> };
  }

  /** jose's verdict with the JWKS as served now; `currentDate` for walking a schedule. */
  async verifyWithJose(token: string, options: JWTVerifyOptions & { account?: string }): Promise<JWTPayload> {
    const keys = createLocalJWKSet(await this.jwks(options.account));
    return (await jwtVerify(token, keys, { algorithms: ['ES256', 'RS256'], ...options })).payload;
  }

  async close(): Promise<void> {
    await this.client.drain();
    await this.app.close();
  }
}
