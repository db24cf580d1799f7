// End to end with the aws-emulator: a customer registers runtrail's per-account issuer as an IAM
// OIDC provider and trusts one stack's write runs; STS then accepts or refuses runtrail's tokens.
import { CreateOpenIDConnectProviderCommand, CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { freePort, startAwsEmulator, startNatsServer, type AwsEmulator, type RunningNatsServer } from '@runtrail/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APPLY_RUN, CapturedOutput, IssuerApp } from '../spec/issuer-app.harness';
import { ManualClock } from '../spec/manual.clock';

const CUSTOMER = '222222222222';
const ADMIN = { accessKeyId: 'AKIA2222OIDCADMIN001', secretAccessKey: 'oidc-e2e-admin-local-secret-not-a-real-key' };
const ROLE = `arn:aws:iam::${CUSTOMER}:role/acme-network-deploy`;
const OTHER_CALLER = '01HZY1V6QK3M7W3X9T2B5C8D4F';
/** The issuer's default `aud`: the host name of its public URL (the harness serves on 127.0.0.1). */
const HOST_AUDIENCE = '127.0.0.1';

let nats: RunningNatsServer;
let issuer: IssuerApp;
let emulator: AwsEmulator;
let dataDir: string;
const clock = new ManualClock();
const output = new CapturedOutput();
const emulatorLog: string[] = [];
const tokens: string[] = [];

const sts = () => new STSClient({ endpoint: emulator.endpoint, region: 'us-east-1', maxAttempts: 1 });

async function tokenFor(input: Parameters<IssuerApp['issue']>[0]): Promise<string> {
  const { token } = await issuer.issue(input);
  tokens.push(token);
  return token;
}

function assume(token: string) {
  return sts().send(new AssumeRoleWithWebIdentityCommand({ RoleArn: ROLE, RoleSessionName: `${APPLY_RUN.runId}@acme`, WebIdentityToken: token }));
}

async function refusal(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  return promise.then(
    () => ({ name: 'none', message: 'the call succeeded' }),
    (error: Error) => ({ name: error.name, message: error.message }),
  );
}

beforeAll(async () => {
  nats = await startNatsServer();
  dataDir = mkdtempSync(join(tmpdir(), 'runtrail-oidc-e2e-'));
  output.start();
  issuer = await IssuerApp.start({ natsUrl: nats.url, port: await freePort(), clock, vars: { DATABASE_URL: `sqlite:${join(dataDir, 'oidc.sqlite')}` } });
  emulator = await startAwsEmulator({
    port: 0,
    clock: () => clock.now(),
    log: (line) => emulatorLog.push(line),
    seed: {
      accounts: [
        {
          id: CUSTOMER,
          alias: 'customer',
          users: [{ name: 'admin', accessKeys: [ADMIN], attachedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] }],
        },
      ],
    },
  });
  const iam = new IAMClient({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: ADMIN, maxAttempts: 1 });
  const created = await iam.send(new CreateOpenIDConnectProviderCommand({ Url: issuer.issuerOf('acme'), ClientIDList: [HOST_AUDIENCE] }));
  const hostPath = issuer.issuerOf('acme').replace(/^https?:\/\//, '');
  const trust = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: created.OpenIDConnectProviderArn },
        Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession', 'sts:SetSourceIdentity'],
        Condition: {
          StringEquals: { [`${hostPath}:aud`]: HOST_AUDIENCE },
          StringLike: { [`${hostPath}:sub`]: 'space:root:stack:network:run_type:*:scope:write' },
        },
      },
    ],
  };
  await iam.send(new CreateRoleCommand({ RoleName: 'acme-network-deploy', AssumeRolePolicyDocument: JSON.stringify(trust) }));
});

afterAll(async () => {
  await emulator?.stop();
  await issuer?.close();
  output.stop();
  await nats?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('AssumeRoleWithWebIdentity with runtrail tokens (aws-emulator)', () => {
  it("accepts the trusted stack's write run, with its run id as SourceIdentity and its session tags", async () => {
    const out = await assume(await tokenFor({ sessionTags: { run: APPLY_RUN.runId, scope: 'write' }, transitiveTagKeys: ['run'] }));
    expect(out).toMatchObject({
      SubjectFromWebIdentityToken: 'space:root:stack:network:run_type:TRACKED:scope:write',
      Audience: HOST_AUDIENCE,
      SourceIdentity: APPLY_RUN.runId,
      AssumedRoleUser: { Arn: `arn:aws:sts::${CUSTOMER}:assumed-role/acme-network-deploy/${APPLY_RUN.runId}@acme` },
    });
    expect(emulator.state.session(out.Credentials!.AccessKeyId!)).toMatchObject({
      tags: { run: APPLY_RUN.runId, scope: 'write' },
      transitiveTagKeys: ['run'],
      sourceIdentity: APPLY_RUN.runId,
    });
  });

  it.each([
    ['another stack', { callerId: OTHER_CALLER, callerSlug: 'billing' }],
    ['a plan (read scope)', { scope: 'read' as const, runType: 'PROPOSED' as const }],
    ['a module with the same slug', { callerType: 'module' as const }],
  ])('refuses a token whose sub does not match the trust policy: %s', async (_label, input) => {
    expect(await refusal(assume(await tokenFor(input)))).toEqual({ name: 'AccessDenied', message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity' });
  });

  it("refuses another account's token: its issuer is not a provider in this AWS account", async () => {
    const denied = await refusal(assume(await tokenFor({ account: 'globex' })));
    expect(denied).toEqual({ name: 'InvalidIdentityTokenException', message: `No OpenIDConnect provider found in your account for ${issuer.issuerOf('globex')}` });
  });

  it("refuses a token for another audience (the account's audience must be the provider's client id)", async () => {
    expect((await refusal(assume(await tokenFor({ audience: 'acme-prod' })))).message).toBe('Incorrect token audience');
  });

  it('keeps accepting tokens across a key rotation, fetching the new key when it first meets it', async () => {
    const day = 86_400_000;
    clock.advance(7 * day - 10 * 60_000);
    await issuer.rotate();
    const signedBefore = await tokenFor({ lifetimeSeconds: 43_200 });
    clock.advance(10 * 60_000);
    await issuer.rotate();
    const signedAfter = await issuer.issue({});
    tokens.push(signedAfter.token);
    expect(signedAfter.reply.kid).not.toBe(JSON.parse(Buffer.from(signedBefore.split('.')[0]!, 'base64url').toString()).kid);
    await expect(assume(signedAfter.token)).resolves.toMatchObject({ SourceIdentity: APPLY_RUN.runId });
    await expect(assume(signedBefore)).resolves.toMatchObject({ SourceIdentity: APPLY_RUN.runId });
  });

  it('logs no token, on either side', () => {
    const logs = output.text + emulatorLog.join('\n');
    expect(tokens.length).toBeGreaterThan(5);
    for (const token of tokens) expect(logs).not.toContain(token.split('.')[2]);
  });
});
