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
/** Seed 003's stack and space. */
const SPACE = 'production-01HND497T9JKR76MR3KA2CDJHP';
const CALLER = { type: 'stack' as const, id: ulid(), slug: 'oidc-is-awesome', spaceId: SPACE };
/** The issuer's default `aud`: the host name of its public URL. */
const HOST_AUDIENCE = '127.0.0.1';
/** An account's own audience (`oidcAudience` on the verify request). */
const ACCOUNT_AUDIENCE = 'acme-prod';

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
          new CreateOpenIDConnectProviderCommand({
            Url: issuerUrl,
            ClientIDList: [HOST_AUDIENCE, ACCOUNT_AUDIENCE],
          }),
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

  async function oidcRole(sub: string, aud = HOST_AUDIENCE): Promise<string> {
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
        StringEquals: { [`${hostPath}:aud`]: aud },
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

  type Caller = typeof CALLER;
  const verify = (
    roleArn: string,
    options: { caller?: Caller | null; oidcAudience?: string } = {},
  ): Promise<VerifyRoleReply> => {
    const integration: Integration = {
      id: ulid(),
      account: 'acme',
      name: 'oidc',
      roleArn,
      durationSeconds: 3600,
      region: null,
      labels: [],
      spaceId: SPACE,
      mode: 'oidc',
      sessionTagging: false,
      sourceIdentity: true,
      customExternalId: null,
    };
    const caller = options.caller === undefined ? CALLER : options.caller;
    return bus.request(
      VerifyRoleRequest,
      {
        integration,
        ...(caller ? { attachment: { caller, read: true, write: false } } : {}),
        ...(options.oidcAudience ? { oidcAudience: options.oidcAudience } : {}),
      },
      { timeoutMs: 30_000 },
    );
  };
  const statuses = (verdict: VerifyRoleReply) => verdict.checks.map((c) => [c.check, c.status]);
  const STACK_ONLY = '*:stack:oidc-is-awesome:*';

  it("accepts seed 003's stack condition for that stack: its token works, a caller that cannot exist is refused", async () => {
    const verdict = await verify(await oidcRole(STACK_ONLY));
    expect(statuses(verdict)).toEqual([
      ['oidc-web-identity:read', 'pass'],
      ['oidc-other-caller:read', 'pass'],
      ['oidc-same-space-caller:read', 'pass'],
      ['confused-deputy', 'pass'],
    ]);
    expect(verdict.safe).toBe(true);
    expect(verdict.suggestedStatement).toEqual({
      Sid: expect.stringMatching(/^RuntrailOidc/),
      Effect: 'Allow',
      Principal: { Federated: providerArn },
      Action: ['sts:AssumeRoleWithWebIdentity', 'sts:SetSourceIdentity'],
      Condition: {
        StringEquals: { [`${hostPath}:aud`]: HOST_AUDIENCE },
        StringLike: { [`${hostPath}:sub`]: `space:${SPACE}:stack:oidc-is-awesome:run_type:*:scope:read` },
      },
    });
  });

  it('refuses another stack under the same condition', async () => {
    const other = { ...CALLER, id: ulid(), slug: 'billing' };
    const verdict = await verify(await oidcRole(STACK_ONLY), { caller: other });
    expect(verdict.safe).toBe(false);
    expect(verdict.checks.find((c) => c.check === 'oidc-web-identity:read')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining(`sub space:${SPACE}:stack:billing:run_type:TRACKED:scope:read failed`),
    });
  });

  it("accepts seed 003's space condition with a warning (every stack of the space, later ones too)", async () => {
    const verdict = await verify(await oidcRole(`space:${SPACE}:*`));
    expect(verdict.safe).toBe(true);
    expect(statuses(verdict)).toEqual([
      ['oidc-web-identity:read', 'pass'],
      ['oidc-other-caller:read', 'pass'],
      ['oidc-same-space-caller:read', 'warn'],
      ['confused-deputy', 'pass'],
    ]);
    expect(verdict.checks.find((c) => c.check === 'oidc-same-space-caller:read')?.message).toContain(
      `every stack and module of that space`,
    );
    expect(JSON.stringify(verdict.suggestedStatement)).toContain(
      `space:${SPACE}:stack:oidc-is-awesome:run_type:*:scope:read`,
    );
  });

  it('refuses a role whose sub condition lets callers of any space in', async () => {
    const verdict = await verify(await oidcRole('*:stack:*'));
    expect(verdict.safe).toBe(false);
    expect(verdict.checks.find((c) => c.check === 'oidc-other-caller:read')?.status).toBe('fail');
    expect(verdict.explanation).toContain('callers of any space');
  });

  it('without a caller, only checks that callers the policy does not name are refused (no probe subject)', async () => {
    const pinned = await verify(await oidcRole(STACK_ONLY), { caller: null });
    expect(statuses(pinned)).toEqual([
      ['oidc-other-caller:read', 'pass'],
      ['oidc-same-space-caller:read', 'pass'],
      ['oidc-other-caller:write', 'pass'],
      ['oidc-same-space-caller:write', 'pass'],
      ['confused-deputy', 'pass'],
    ]);
    expect(pinned.safe).toBe(true);
    const wide = await verify(await oidcRole('*'), { caller: null });
    expect(wide.safe).toBe(false);
    expect(statuses(wide)).toContainEqual(['oidc-other-caller:read', 'fail']);
    expect(JSON.stringify(wide.suggestedStatement)).toContain(
      `space:${SPACE}:*:<stack-or-module-slug>:run_type:*:scope:*`,
    );
  });

  it("asks for the account's audience, as the broker does, and pins it in the statement", async () => {
    const accountRole = await oidcRole(STACK_ONLY, ACCOUNT_AUDIENCE);
    const withAudience = await verify(accountRole, { oidcAudience: ACCOUNT_AUDIENCE });
    expect(withAudience.safe).toBe(true);
    expect(JSON.stringify(withAudience.suggestedStatement)).toContain(
      `"${hostPath}:aud":"${ACCOUNT_AUDIENCE}"`,
    );
    // The same role refuses the issuer's default audience: verifier and broker must ask alike.
    const withDefault = await verify(accountRole);
    expect(withDefault.checks.find((c) => c.check === 'oidc-web-identity:read')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining(`client id (audience) ${HOST_AUDIENCE}`),
    });
  });

  it("refuses a role that does not trust runtrail's issuer, naming the provider to create", async () => {
    const verdict = await verify('arn:aws:iam::222222222222:role/runtrail-demo');
    expect(verdict.safe).toBe(false);
    expect(verdict.checks.find((c) => c.check === 'oidc-web-identity:read')?.status).toBe('fail');
    expect(verdict.explanation).toContain('IAM OIDC provider');
  });
});
