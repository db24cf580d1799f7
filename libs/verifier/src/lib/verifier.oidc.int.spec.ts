import { CreateOpenIDConnectProviderCommand, CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import type { INestApplication } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { bootstrapService } from '@runtrail/bootstrap';
import { loadConfig } from '@runtrail/config';
import { VerifyRoleRequest, type RequestOf, type VerifyRoleReply } from '@runtrail/contracts';
import { MessageBus } from '@runtrail/messaging';
import {
  freePort,
  startNatsServer,
  startTestEmulator,
  type AwsEmulator,
  type RunningNatsServer,
} from '@runtrail/testing';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { CUSTOMER_ADMIN, PLATFORM } from '../spec/emulator-roles.fixture';
import { AwsStsGateway } from './sts/aws-sts.gateway';
import { verifierEnv } from './verifier.env';
import { VerifierModule } from './verifier.module';

type Integration = RequestOf<typeof VerifyRoleRequest>['integration'];
const ROOT = join(__dirname, '../../../..');
const CALLER = { type: 'stack' as const, id: ulid(), slug: 'network', spaceId: 'root' };

/** runtrail's OIDC issuer as its own process (the built app): the verifier asks it over NATS. */
async function startIssuer(natsUrl: string, port: number): Promise<ChildProcess> {
  const build = spawnSync(process.execPath, ['tools/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  const child = spawn(process.execPath, ['dist/apps/oidc-issuer/src/main.js'], {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'],
      NATS_URL: natsUrl,
      PORT: String(port),
      DATABASE_URL: `sqlite:${join(mkdtempSync(join(tmpdir(), 'runtrail-verifier-oidc-')), 'oidc.sqlite')}`,
      OIDC_PUBLIC_URL: `http://127.0.0.1:${port}`,
      OIDC_KEK: randomBytes(32).toString('base64'),
      OTEL_SDK_DISABLED: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`oidc-issuer did not start: ${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('ready on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`oidc-issuer exited with ${code}: ${output}`)));
  });
  return child;
}

describe('verifier, OIDC mode (check 5) against the aws-emulator and a running oidc-issuer', () => {
  let nats: RunningNatsServer;
  let emulator: AwsEmulator;
  let issuer: ChildProcess;
  let app: INestApplication;
  let client: NatsConnection;
  let bus: MessageBus;
  let providerArn: string;
  let hostPath: string;

  beforeAll(async () => {
    nats = await startNatsServer();
    emulator = await startTestEmulator();
    const issuerPort = await freePort();
    issuer = await startIssuer(nats.url, issuerPort);
    const env = loadConfig(verifierEnv, {
      DATABASE_URL: 'sqlite::memory:',
      VERIFIER_RETRY_ATTEMPTS: '2',
      VERIFIER_RETRY_BASE_DELAY_MS: '50',
      LOG_LEVEL: 'error',
    });
    app = await bootstrapService({
      name: 'verifier',
      modules: [
        VerifierModule.forRoot(env, { sts: new AwsStsGateway(emulator.endpoint, 'us-east-1', PLATFORM) }),
      ],
      http: { host: '127.0.0.1', port: await freePort() },
      nats: { servers: [nats.url] },
      logLevel: 'error',
    });
    client = await connect({ servers: nats.url });
    bus = new MessageBus(client);
    const iam = new IAMClient({
      endpoint: emulator.endpoint,
      region: 'us-east-1',
      credentials: CUSTOMER_ADMIN,
      maxAttempts: 1,
    });
    const issuerUrl = `http://127.0.0.1:${issuerPort}/oidc/acme`;
    providerArn =
      (
        await iam.send(
          new CreateOpenIDConnectProviderCommand({ Url: issuerUrl, ClientIDList: ['sts.amazonaws.com'] }),
        )
      ).OpenIDConnectProviderArn ?? '';
    hostPath = issuerUrl.replace(/^https?:\/\//, '');
    iam.destroy();
  });

  afterAll(async () => {
    await client?.drain();
    await app?.close();
    if (issuer) {
      const exited = new Promise((resolve) => issuer.once('exit', resolve));
      issuer.kill('SIGTERM');
      await exited;
    }
    await emulator?.stop();
    await nats?.stop();
  });

  async function oidcRole(sub: string): Promise<string> {
    const iam = new IAMClient({
      endpoint: emulator.endpoint,
      region: 'us-east-1',
      credentials: CUSTOMER_ADMIN,
      maxAttempts: 1,
    });
    const statement = {
      Effect: 'Allow',
      Principal: { Federated: providerArn },
      Action: ['sts:AssumeRoleWithWebIdentity', 'sts:SetSourceIdentity', 'sts:TagSession'],
      Condition: {
        StringEquals: { [`${hostPath}:aud`]: 'sts.amazonaws.com' },
        StringLike: { [`${hostPath}:sub`]: sub },
      },
    };
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: `oidc-${ulid()}`,
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [statement] }),
      }),
    );
    iam.destroy();
    return role.Role?.Arn ?? '';
  }

  const verify = (roleArn: string): Promise<VerifyRoleReply> => {
    const integration: Integration = {
      id: ulid(),
      account: 'acme',
      name: 'oidc',
      roleArn,
      durationSeconds: 3600,
      region: null,
      labels: [],
      spaceId: 'root',
      mode: 'oidc',
      sessionTagging: false,
      customExternalId: null,
    };
    return bus.request(
      VerifyRoleRequest,
      { integration, attachment: { caller: CALLER, read: true, write: false } },
      { timeoutMs: 30_000 },
    );
  };

  it("accepts a role pinned to the caller: its token works, another caller's does not", async () => {
    const verdict = await verify(await oidcRole(`space:root:stack:${CALLER.id}:*`));
    expect(verdict.checks.map((c) => [c.check, c.status])).toEqual([
      ['oidc-web-identity:read', 'pass'],
      ['oidc-other-caller:read', 'pass'],
      ['confused-deputy', 'pass'],
    ]);
    expect(verdict.safe).toBe(true);
    expect(verdict.suggestedStatement).toMatchObject({ Principal: { Federated: providerArn } });
  });

  it('refuses a role whose sub condition lets any caller in', async () => {
    const verdict = await verify(await oidcRole('space:root:*'));
    expect(verdict.safe).toBe(false);
    expect(verdict.checks.find((c) => c.check === 'oidc-other-caller:read')?.status).toBe('fail');
    expect(verdict.explanation).toContain('too wide');
    expect(JSON.stringify(verdict.suggestedStatement)).toContain(
      `space:root:stack:${CALLER.id}:run_type:*:scope:read`,
    );
  });

  it("refuses a role that does not trust runtrail's issuer, naming the provider to create", async () => {
    const verdict = await verify('arn:aws:iam::222222222222:role/runtrail-demo');
    expect(verdict.safe).toBe(false);
    expect(verdict.checks.find((c) => c.check === 'oidc-web-identity:read')?.status).toBe('fail');
    expect(verdict.explanation).toContain('IAM OIDC provider');
  });
});
