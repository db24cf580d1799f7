// AssumeRoleWithWebIdentity against a local OpenID provider (discovery + JWKS served over http on
// loopback), through @aws-sdk/client-sts and client-iam.
import {
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  GetOpenIDConnectProviderCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { parseCloudTrailRecord } from '@runtrail/cloudtrail';
import { startAwsEmulator, type AwsEmulator } from '../start-aws-emulator';
import { CUSTOMER, CUSTOMER_ADMIN, SEED_FILE, trustPolicy } from './emulator.fixture';
import { startLocalIssuer, type LocalIssuer } from './oidc-issuer.fixture';

const SUB = (runType: string, scope = 'write') =>
  `space:prod:stack:01HSTACK:run_type:${runType}:scope:${scope}`;
let emulator: AwsEmulator;
let issuer: LocalIssuer;
let providerArn: string;

const roleArn = (name: string) => `arn:aws:iam::${CUSTOMER}:role/${name}`;
const sts = () => new STSClient({ endpoint: emulator.endpoint, region: 'us-east-1', maxAttempts: 1 });
const assume = (role: string, token: string) =>
  sts().send(
    new AssumeRoleWithWebIdentityCommand({
      RoleArn: roleArn(role),
      RoleSessionName: 'oidc-run',
      WebIdentityToken: token,
    }),
  );

async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
  throw new Error('the call succeeded');
}

beforeAll(async () => {
  issuer = await startLocalIssuer();
  emulator = await startAwsEmulator({ seed: SEED_FILE });
  const iam = new IAMClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: CUSTOMER_ADMIN,
    maxAttempts: 1,
  });
  providerArn =
    (
      await iam.send(
        new CreateOpenIDConnectProviderCommand({ Url: issuer.url, ClientIDList: ['sts.amazonaws.com'] }),
      )
    ).OpenIDConnectProviderArn ?? '';
  const federated = { Federated: providerArn };
  const conditions = {
    StringEquals: { [`${issuer.hostPath}:aud`]: 'sts.amazonaws.com' },
    StringLike: { [`${issuer.hostPath}:sub`]: 'space:prod:stack:*:run_type:TRACKED:scope:*' },
  };
  await iam.send(
    new CreateRoleCommand({
      RoleName: 'oidc-deploy',
      AssumeRolePolicyDocument: trustPolicy(federated, ['sts:AssumeRoleWithWebIdentity'], conditions),
    }),
  );
  await iam.send(
    new CreateRoleCommand({
      RoleName: 'oidc-tagged',
      AssumeRolePolicyDocument: trustPolicy(
        federated,
        ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession', 'sts:SetSourceIdentity'],
        conditions,
      ),
    }),
  );
});
afterAll(async () => {
  await emulator.stop();
  await issuer.stop();
});

describe('AssumeRoleWithWebIdentity', () => {
  it('registers the provider like IAM does (ARN and Url without scheme)', async () => {
    expect(providerArn).toBe(`arn:aws:iam::${CUSTOMER}:oidc-provider/${issuer.hostPath}`);
    const iam = new IAMClient({
      endpoint: emulator.endpoint,
      region: 'us-east-1',
      credentials: CUSTOMER_ADMIN,
      maxAttempts: 1,
    });
    const got = await iam.send(
      new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: providerArn }),
    );
    expect(got).toMatchObject({ Url: issuer.hostPath, ClientIDList: ['sts.amazonaws.com'] });
  });

  it('accepts a token whose sub matches the StringLike pattern; the session is the role', async () => {
    const token = await issuer.sign({ sub: SUB('TRACKED'), aud: 'sts.amazonaws.com' });
    const out = await assume('oidc-deploy', token);
    expect(out).toMatchObject({
      SubjectFromWebIdentityToken: SUB('TRACKED'),
      Audience: 'sts.amazonaws.com',
      Provider: providerArn,
      AssumedRoleUser: { Arn: `arn:aws:sts::${CUSTOMER}:assumed-role/oidc-deploy/oidc-run` },
    });
    const client = new STSClient({
      endpoint: emulator.endpoint,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: {
        accessKeyId: out.Credentials!.AccessKeyId!,
        secretAccessKey: out.Credentials!.SecretAccessKey!,
        sessionToken: out.Credentials!.SessionToken!,
      },
    });
    expect((await client.send(new GetCallerIdentityCommand({}))).Arn).toBe(
      `arn:aws:sts::${CUSTOMER}:assumed-role/oidc-deploy/oidc-run`,
    );

    const record = emulator
      .events(CUSTOMER)
      .find((r) => r.eventName === 'AssumeRoleWithWebIdentity' && !r.errorCode);
    expect(record).toMatchObject({
      userIdentity: {
        type: 'WebIdentityUser',
        userName: SUB('TRACKED'),
        identityProvider: providerArn,
        principalId: `${providerArn}:sts.amazonaws.com:${SUB('TRACKED')}`,
      },
      requestParameters: { roleArn: roleArn('oidc-deploy'), roleSessionName: 'oidc-run' },
      responseElements: {
        subjectFromWebIdentityToken: SUB('TRACKED'),
        provider: providerArn,
        audience: 'sts.amazonaws.com',
      },
    });
    expect(JSON.stringify(record)).not.toContain(token);
    const parsed = parseCloudTrailRecord(record);
    expect(parsed.ok && parsed.event.assumeRole).toMatchObject({
      roleArn: roleArn('oidc-deploy'),
      issuedAccessKeyId: out.Credentials?.AccessKeyId,
    });
    const later = emulator
      .events(CUSTOMER)
      .find(
        (r) =>
          r.eventName === 'GetCallerIdentity' && r.userIdentity?.accessKeyId === out.Credentials?.AccessKeyId,
      );
    expect(later?.userIdentity?.sessionContext?.webIdFederationData).toEqual({
      federatedProvider: providerArn,
      attributes: {},
    });
  });

  it('refuses a sub outside the pattern (AccessDenied), and records the refusal', async () => {
    for (const sub of [SUB('PROPOSED'), 'space:dev:stack:01HSTACK:run_type:TRACKED:scope:write']) {
      const denied = await failure(
        assume('oidc-deploy', await issuer.sign({ sub, aud: 'sts.amazonaws.com' })),
      );
      expect(denied).toEqual({
        name: 'AccessDenied',
        message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
      });
    }
    const refusals = emulator
      .events(CUSTOMER)
      .filter((r) => r.eventName === 'AssumeRoleWithWebIdentity' && r.errorCode === 'AccessDenied');
    expect(refusals.map((r) => r.userIdentity?.userName)).toEqual(expect.arrayContaining([SUB('PROPOSED')]));
  });

  it('verifies audience, expiry, signature and issuer', async () => {
    const wrongAud = await failure(
      assume('oidc-deploy', await issuer.sign({ sub: SUB('TRACKED'), aud: 'other' })),
    );
    expect(wrongAud).toEqual({ name: 'InvalidIdentityTokenException', message: 'Incorrect token audience' });
    const expired = await failure(
      assume(
        'oidc-deploy',
        await issuer.sign(
          { sub: SUB('TRACKED'), aud: 'sts.amazonaws.com' },
          { expiresIn: Math.floor(Date.now() / 1000) - 60 },
        ),
      ),
    );
    expect(expired.name).toBe('ExpiredTokenException');
    expect(expired.message).toMatch(
      /^Token expired: current date\/time \d+ must be before the expiration date\/time\d+$/,
    );
    const forged = await failure(
      assume(
        'oidc-deploy',
        await issuer.sign({ sub: SUB('TRACKED'), aud: 'sts.amazonaws.com' }, { foreignKey: true }),
      ),
    );
    expect(forged.name).toBe('InvalidIdentityTokenException');
    const unknown = await failure(
      assume(
        'oidc-deploy',
        await issuer.sign(
          { sub: SUB('TRACKED'), aud: 'sts.amazonaws.com' },
          { issuer: 'https://unknown.example' },
        ),
      ),
    );
    expect(unknown).toEqual({
      name: 'InvalidIdentityTokenException',
      message: 'No OpenIDConnect provider found in your account for https://unknown.example',
    });
    expect((await failure(assume('oidc-deploy', 'not-a-jwt'))).name).toBe('InvalidIdentityTokenException');
    // Discovery and keys were fetched once and cached (the forged token's key id is the published one).
    expect(
      issuer.requests.filter((r) => r === '/.well-known/openid-configuration').length,
    ).toBeLessThanOrEqual(2);
  });

  it('answers IDPCommunicationError when the provider cannot be reached', async () => {
    const iam = new IAMClient({
      endpoint: emulator.endpoint,
      region: 'us-east-1',
      credentials: CUSTOMER_ADMIN,
      maxAttempts: 1,
    });
    await iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: 'http://127.0.0.1:9/gone',
        ClientIDList: ['sts.amazonaws.com'],
      }),
    );
    const token = await issuer.sign(
      { sub: SUB('TRACKED'), aud: 'sts.amazonaws.com' },
      { issuer: 'http://127.0.0.1:9/gone' },
    );
    expect((await failure(assume('oidc-deploy', token))).name).toBe('IDPCommunicationErrorException');
  });

  it('turns the AWS tags claim into session tags only when the trust policy allows sts:TagSession', async () => {
    const claims = {
      sub: SUB('TRACKED'),
      aud: 'sts.amazonaws.com',
      'https://aws.amazon.com/tags': {
        principal_tags: { run: ['01RUN'], scope: ['write'] },
        transitive_tag_keys: ['run'],
      },
      'https://aws.amazon.com/source_identity': '01RUN',
    };
    const token = await issuer.sign(claims);
    const denied = await failure(assume('oidc-deploy', token));
    expect(denied.name).toBe('AccessDenied');
    const out = await assume('oidc-tagged', token);
    expect(out.SourceIdentity).toBe('01RUN');
    expect(emulator.state.session(out.Credentials!.AccessKeyId!)).toMatchObject({
      tags: { run: '01RUN', scope: 'write' },
      transitiveTagKeys: ['run'],
      sourceIdentity: '01RUN',
      via: 'AssumeRoleWithWebIdentity',
    });
  });
});
