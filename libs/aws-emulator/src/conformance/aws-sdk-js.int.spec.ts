// The emulator through the AWS SDK for JavaScript v3 (client-sts, client-iam, client-cloudtrail),
// as runtrail's services will use it: only the endpoint differs from real AWS.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudTrailClient, LookupEventsCommand, type LookupAttributeKey } from '@aws-sdk/client-cloudtrail';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolesCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  AssumeRoleCommand,
  GetCallerIdentityCommand,
  STSClient,
  type Credentials,
} from '@aws-sdk/client-sts';
import { SignatureV4 } from '@smithy/signature-v4';
import { parseCloudTrailRecord, readCloudTrailFile, type CloudTrailRecord } from '@runtrail/cloudtrail';
import { startAwsEmulator, type AwsEmulator } from '../start-aws-emulator';
import { NodeSha256 } from '../lib/sigv4/node-sha256';
import {
  CUSTOMER,
  CUSTOMER_ADMIN,
  DEMO_ROLE_ARN,
  movableClock,
  NO_POLICY_USER,
  PLATFORM,
  RUNTRAIL,
  testSeed,
  trustPolicy,
  type StaticCredentials,
} from './emulator.fixture';

const REGION = 'eu-west-1';
const time = movableClock();
let emulator: AwsEmulator;
let trailDir: string;

beforeAll(async () => {
  trailDir = mkdtempSync(join(tmpdir(), 'emulator-trail-'));
  emulator = await startAwsEmulator({
    seed: testSeed(),
    clock: time.clock,
    trailDir,
    flushIntervalMs: 60_000,
  });
});
afterAll(() => emulator.stop());

const sts = (credentials: StaticCredentials, extra: { systemClockOffset?: number } = {}) =>
  new STSClient({ endpoint: emulator.endpoint, region: REGION, credentials, maxAttempts: 1, ...extra });
const iam = (credentials: StaticCredentials) =>
  new IAMClient({ endpoint: emulator.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
const cloudtrail = (credentials: StaticCredentials, region = REGION) =>
  new CloudTrailClient({ endpoint: emulator.endpoint, region, credentials, maxAttempts: 1 });
const temporary = (c: Credentials | undefined): StaticCredentials => ({
  accessKeyId: c?.AccessKeyId ?? '',
  secretAccessKey: c?.SecretAccessKey ?? '',
  sessionToken: c?.SessionToken ?? '',
});

async function failure(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('the call succeeded');
}

const assume = (input: Partial<ConstructorParameters<typeof AssumeRoleCommand>[0]>, credentials = RUNTRAIL) =>
  sts(credentials).send(
    new AssumeRoleCommand({ RoleArn: DEMO_ROLE_ARN, RoleSessionName: 'sdk-session', ...input }),
  );

describe('STS through @aws-sdk/client-sts', () => {
  it('assumes the seeded role with the right external id; the temporary credentials identify the session', async () => {
    const out = await assume({ ExternalId: 'acme@01INT@stack-a@read', DurationSeconds: 900 });
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(out.Credentials?.SecretAccessKey).toHaveLength(40);
    expect(out.Credentials?.SessionToken?.length).toBeGreaterThan(200);
    expect(out.Credentials!.Expiration!.getTime() - time.clock().getTime()).toBeGreaterThan(890_000);
    expect(out.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${CUSTOMER}:assumed-role/runtrail-demo/sdk-session`);
    const me = await sts(temporary(out.Credentials)).send(new GetCallerIdentityCommand({}));
    expect(me).toMatchObject({
      Account: CUSTOMER,
      Arn: out.AssumedRoleUser?.Arn,
      UserId: out.AssumedRoleUser?.AssumedRoleId,
    });
  });

  it("refuses without, or with another account's, external id (AccessDenied naming the role)", async () => {
    for (const input of [{}, { ExternalId: 'globex@01INT@stack-a@read' }]) {
      expect(await failure(assume(input))).toEqual({
        name: 'AccessDenied',
        status: 403,
        message: `User: arn:aws:iam::${PLATFORM}:user/runtrail is not authorized to perform: sts:AssumeRole on resource: ${DEMO_ROLE_ARN}`,
      });
    }
  });

  it('needs an identity policy for a cross-account role even when the trust policy matches', async () => {
    const denied = await failure(assume({ ExternalId: 'acme@x@y@read' }, NO_POLICY_USER));
    expect(denied.name).toBe('AccessDenied');
    expect(denied.message).toContain('user/no-policy is not authorized to perform: sts:AssumeRole');
  });

  it('passes session tags and a source identity that the trust policy allows', async () => {
    const out = await assume({
      ExternalId: 'acme@x@y@write',
      SourceIdentity: '01RUNID',
      Tags: [{ Key: 'run', Value: '01RUNID' }],
      TransitiveTagKeys: ['run'],
    });
    expect(out.SourceIdentity).toBe('01RUNID');
    expect(out.PackedPolicySize).toBeGreaterThan(0);
    const session = emulator.state.session(out.Credentials!.AccessKeyId!);
    expect(session).toMatchObject({
      sourceIdentity: '01RUNID',
      tags: { run: '01RUNID' },
      transitiveTagKeys: ['run'],
    });
    expect(session).not.toHaveProperty('secretAccessKey');
  });

  it('validates parameters like the STS model', async () => {
    const badName = await failure(assume({ ExternalId: 'acme@x', RoleSessionName: 'has space' }));
    expect(badName).toMatchObject({ name: 'ValidationError', status: 400 });
    expect(badName.message).toContain(
      "at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern",
    );
    expect((await failure(assume({ ExternalId: 'a' }))).message).toContain(
      "'externalId' failed to satisfy constraint: Member must have length greater than or equal to 2",
    );
    expect(await failure(assume({ ExternalId: 'acme@x', DurationSeconds: 600 }))).toMatchObject({
      name: 'ValidationError',
    });
    expect((await failure(assume({ ExternalId: 'acme@x', DurationSeconds: 7200 }))).message).toBe(
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
    expect(
      (await failure(assume({ RoleArn: `arn:aws:iam::${CUSTOMER}:role/missing`, ExternalId: 'acme@x' })))
        .name,
    ).toBe('AccessDenied');
  });
});

describe('IAM through @aws-sdk/client-iam, and trust rules on created roles', () => {
  const admin = () => iam(CUSTOMER_ADMIN);

  it('creates, reads, lists and updates roles the way users do it', async () => {
    const document = trustPolicy({ AWS: `arn:aws:iam::${PLATFORM}:root` }, ['sts:AssumeRole'], {
      StringEquals: { 'sts:ExternalId': 'acme@i@s@read' },
    });
    const created = await admin().send(
      new CreateRoleCommand({
        RoleName: 'no-tags',
        AssumeRolePolicyDocument: document,
        Tags: [{ Key: 'team', Value: 'ci' }],
      }),
    );
    expect(created.Role).toMatchObject({
      RoleName: 'no-tags',
      Path: '/',
      Arn: `arn:aws:iam::${CUSTOMER}:role/no-tags`,
      MaxSessionDuration: 3600,
    });
    expect(created.Role?.RoleId).toMatch(/^AROA[A-Z2-7]{17}$/);
    const got = await admin().send(new GetRoleCommand({ RoleName: 'no-tags' }));
    expect(decodeURIComponent(got.Role?.AssumeRolePolicyDocument ?? '')).toBe(document);
    expect(got.Role?.Tags).toEqual([{ Key: 'team', Value: 'ci' }]);
    const listed = await admin().send(new ListRolesCommand({}));
    expect(listed.Roles?.map((r) => r.RoleName)).toEqual(
      expect.arrayContaining(['no-tags', 'runtrail-demo']),
    );
    expect(
      await failure(
        admin().send(new CreateRoleCommand({ RoleName: 'NO-TAGS', AssumeRolePolicyDocument: document })),
      ),
    ).toMatchObject({
      name: 'EntityAlreadyExistsException', // the SDK's name for the wire code EntityAlreadyExists
      status: 409,
    });
    expect(
      (
        await failure(
          admin().send(
            new CreateRoleCommand({ RoleName: 'bad', AssumeRolePolicyDocument: '{"Statement":[]}' }),
          ),
        )
      ).name,
    ).toBe('MalformedPolicyDocumentException');
    expect(await failure(admin().send(new GetRoleCommand({ RoleName: 'nope' })))).toMatchObject({
      name: 'NoSuchEntityException',
      status: 404,
    });
  });

  it('refuses a session with tags when the trust policy lacks sts:TagSession (AccessDenied names it)', async () => {
    await assume({ RoleArn: `arn:aws:iam::${CUSTOMER}:role/no-tags`, ExternalId: 'acme@i@s@read' });
    const denied = await failure(
      assume({
        RoleArn: `arn:aws:iam::${CUSTOMER}:role/no-tags`,
        ExternalId: 'acme@i@s@read',
        Tags: [{ Key: 'run', Value: 'r' }],
      }),
    );
    expect(denied.message).toBe(
      `User: arn:aws:iam::${PLATFORM}:user/runtrail is not authorized to perform: sts:TagSession on resource: arn:aws:iam::${CUSTOMER}:role/no-tags`,
    );
    const noSource = await failure(
      assume({
        RoleArn: `arn:aws:iam::${CUSTOMER}:role/no-tags`,
        ExternalId: 'acme@i@s@read',
        SourceIdentity: 'run',
      }),
    );
    expect(noSource.message).toContain('sts:SetSourceIdentity');
    await admin().send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'no-tags',
        PolicyDocument: trustPolicy({ AWS: PLATFORM }, ['sts:AssumeRole', 'sts:TagSession']),
      }),
    );
    await assume({ RoleArn: `arn:aws:iam::${CUSTOMER}:role/no-tags`, Tags: [{ Key: 'run', Value: 'r' }] });
  });

  it('caps role chaining at one hour and keeps the first SourceIdentity down the chain', async () => {
    await admin().send(
      new CreateRoleCommand({
        RoleName: 'chain-target',
        MaxSessionDuration: 43200,
        AssumeRolePolicyDocument: trustPolicy({ AWS: DEMO_ROLE_ARN }, [
          'sts:AssumeRole',
          'sts:SetSourceIdentity',
        ]),
      }),
    );
    const first = await assume({ ExternalId: 'acme@x@y@write', SourceIdentity: '01RUNCHAIN' });
    const asDemo = sts(temporary(first.Credentials));
    const target = `arn:aws:iam::${CUSTOMER}:role/chain-target`;
    const tooLong = await failure(
      asDemo.send(new AssumeRoleCommand({ RoleArn: target, RoleSessionName: 'hop', DurationSeconds: 7200 })),
    );
    expect(tooLong).toMatchObject({
      name: 'ValidationError',
      message:
        'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    });
    const changed = await failure(
      asDemo.send(
        new AssumeRoleCommand({ RoleArn: target, RoleSessionName: 'hop', SourceIdentity: 'other' }),
      ),
    );
    expect(changed.name).toBe('ValidationError');
    const hop = await asDemo.send(
      new AssumeRoleCommand({ RoleArn: target, RoleSessionName: 'hop', DurationSeconds: 3600 }),
    );
    expect(hop.SourceIdentity).toBe('01RUNCHAIN');
    expect(emulator.state.session(hop.Credentials!.AccessKeyId!)).toMatchObject({
      chained: true,
      sourceIdentity: '01RUNCHAIN',
    });
    const record = emulator
      .events(CUSTOMER)
      .find(
        (r) =>
          (r.responseElements?.['credentials'] as { accessKeyId?: string })?.accessKeyId ===
          hop.Credentials?.AccessKeyId,
      );
    expect(record?.userIdentity).toMatchObject({
      type: 'AssumedRole',
      sessionContext: { sourceIdentity: '01RUNCHAIN', sessionIssuer: { arn: DEMO_ROLE_ARN } },
    });
  });

  it('same account: a trust policy naming the caller suffices; one naming only the account also needs an identity policy', async () => {
    await admin().send(
      new CreateRoleCommand({
        RoleName: 'account-trust',
        AssumeRolePolicyDocument: trustPolicy({ AWS: `arn:aws:iam::${CUSTOMER}:root` }, ['sts:AssumeRole']),
      }),
    );
    // runtrail-demo's ReadOnlyAccess does not allow sts:AssumeRole; chain-target names runtrail-demo itself.
    const asDemo = sts(temporary((await assume({ ExternalId: 'acme@x@y@read' })).Credentials));
    const denied = await failure(
      asDemo.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${CUSTOMER}:role/account-trust`,
          RoleSessionName: 'hop',
        }),
      ),
    );
    expect(denied.name).toBe('AccessDenied');
    await asDemo.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${CUSTOMER}:role/chain-target`,
        RoleSessionName: 'hop',
      }),
    );
    // The customer admin (AdministratorAccess) is allowed by its identity policy.
    await sts(CUSTOMER_ADMIN).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${CUSTOMER}:role/account-trust`,
        RoleSessionName: 'admin',
      }),
    );
  });

  it('authorises IAM calls of assumed roles by the role policies (ReadOnlyAccess: GetRole yes, CreateRole no)', async () => {
    const session = temporary((await assume({ ExternalId: 'acme@x@y@read' })).Credentials);
    await iam(session).send(new GetRoleCommand({ RoleName: 'runtrail-demo' }));
    const denied = await failure(
      iam(session).send(
        new CreateRoleCommand({
          RoleName: 'x',
          AssumeRolePolicyDocument: trustPolicy({ AWS: CUSTOMER }, ['sts:AssumeRole']),
        }),
      ),
    );
    expect(denied).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(denied.message).toBe(
      `User: arn:aws:sts::${CUSTOMER}:assumed-role/runtrail-demo/sdk-session is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::${CUSTOMER}:role/x because no identity-based policy allows the iam:CreateRole action`,
    );
    const recorded = emulator
      .events(CUSTOMER)
      .filter((r) => r.eventName === 'CreateRole' && r.errorCode === 'AccessDenied');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      eventSource: 'iam.amazonaws.com',
      awsRegion: 'us-east-1',
      readOnly: false,
    });
  });

  it('keeps inline and attached policies, and refuses to delete a role that has some', async () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
    });
    await admin().send(
      new PutRolePolicyCommand({ RoleName: 'no-tags', PolicyName: 'read', PolicyDocument: policy }),
    );
    expect(
      decodeURIComponent(
        (await admin().send(new GetRolePolicyCommand({ RoleName: 'no-tags', PolicyName: 'read' })))
          .PolicyDocument ?? '',
      ),
    ).toBe(policy);
    await admin().send(
      new AttachRolePolicyCommand({
        RoleName: 'no-tags',
        PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      }),
    );
    expect(emulator.state.role(CUSTOMER, 'no-tags')).toMatchObject({
      inlinePolicyNames: ['read'],
      attachedPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
    });
    expect(await failure(admin().send(new DeleteRoleCommand({ RoleName: 'no-tags' })))).toMatchObject({
      name: 'DeleteConflictException',
      status: 409,
    });
  });
});

describe('SigV4 refusals', () => {
  it('refuses an unknown key (InvalidClientTokenId) and a wrong secret (SignatureDoesNotMatch)', async () => {
    const unknown = await failure(
      sts({ accessKeyId: 'AKIA0000000000000000', secretAccessKey: 'x'.repeat(40) }).send(
        new GetCallerIdentityCommand({}),
      ),
    );
    expect(unknown).toMatchObject({
      name: 'InvalidClientTokenId',
      status: 403,
      message: 'The security token included in the request is invalid.',
    });
    const wrong = await failure(
      sts({ ...RUNTRAIL, secretAccessKey: `${RUNTRAIL.secretAccessKey}x` }).send(
        new GetCallerIdentityCommand({}),
      ),
    );
    expect(wrong).toMatchObject({ name: 'SignatureDoesNotMatch', status: 403 });
    expect(
      (
        await failure(
          cloudtrail({ ...CUSTOMER_ADMIN, secretAccessKey: 'nope-nope-nope-nope' }).send(
            new LookupEventsCommand({}),
          ),
        )
      ).name,
    ).toBe('InvalidSignatureException');
  });

  it('refuses a request whose body was changed after signing', async () => {
    const url = new URL(emulator.endpoint);
    const signer = new SignatureV4({
      service: 'sts',
      region: REGION,
      credentials: RUNTRAIL,
      sha256: NodeSha256,
    });
    const body = 'Action=GetCallerIdentity&Version=2011-06-15';
    const signed = await signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      query: {},
      headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
    });
    const send = (payload: string) =>
      fetch(emulator.endpoint, {
        method: 'POST',
        headers: signed.headers as Record<string, string>,
        body: payload,
      });
    expect((await send(body)).status).toBe(200);
    const tampered = await send(`${body}&Extra=1`);
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toMatch(/<Code>SignatureDoesNotMatch<\/Code>/);
    const flipped = { ...(signed.headers as Record<string, string>) };
    flipped['authorization'] = flipped['authorization'].replace(
      /Signature=(.)/,
      (_m, c: string) => `Signature=${c === 'a' ? 'b' : 'a'}`,
    );
    expect((await fetch(emulator.endpoint, { method: 'POST', headers: flipped, body })).status).toBe(403);
  });

  it('refuses a clock skew beyond five minutes either way', async () => {
    const past = await failure(
      sts(RUNTRAIL, { systemClockOffset: -6 * 60_000 }).send(new GetCallerIdentityCommand({})),
    );
    expect(past).toMatchObject({ name: 'SignatureDoesNotMatch', status: 403 });
    expect(past.message).toMatch(
      /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/,
    );
    const future = await failure(
      sts(RUNTRAIL, { systemClockOffset: 6 * 60_000 }).send(new GetCallerIdentityCommand({})),
    );
    expect(future.message).toMatch(/^Signature not yet current: /);
    await sts(RUNTRAIL, { systemClockOffset: 4 * 60_000 }).send(new GetCallerIdentityCommand({}));
  });

  it('refuses temporary credentials once expired (ExpiredToken), and without their session token', async () => {
    const out = await assume({ ExternalId: 'acme@x@y@read', DurationSeconds: 900 });
    const creds = temporary(out.Credentials);
    expect(
      (await failure(sts({ ...creds, sessionToken: undefined }).send(new GetCallerIdentityCommand({})))).name,
    ).toBe('InvalidClientTokenId');
    time.advance(901_000);
    try {
      const expired = await failure(
        sts(creds, { systemClockOffset: time.offsetMs() }).send(new GetCallerIdentityCommand({})),
      );
      expect(expired).toMatchObject({
        name: 'ExpiredToken',
        status: 403,
        message: 'The security token included in the request is expired',
      });
    } finally {
      time.advance(-901_000);
    }
  });
});

describe('CloudTrail through @aws-sdk/client-cloudtrail', () => {
  const lookup = (input: ConstructorParameters<typeof LookupEventsCommand>[0] = {}, region = REGION) =>
    cloudtrail(CUSTOMER_ADMIN, region).send(new LookupEventsCommand(input));
  const by = (key: LookupAttributeKey, value: string) => ({
    LookupAttributes: [{ AttributeKey: key, AttributeValue: value }],
  });

  it('records allowed and denied AssumeRole in both accounts, linked by sharedEventID, without secrets', async () => {
    const ok = await assume({ ExternalId: 'acme@trail@s@read', RoleSessionName: 'trail-ok' });
    await failure(assume({ RoleSessionName: 'trail-denied' }));
    const key = ok.Credentials?.AccessKeyId ?? '';
    const inCustomer = emulator.events(CUSTOMER).filter((r) => r.eventName === 'AssumeRole');
    const inPlatform = emulator.events(PLATFORM).filter((r) => r.eventName === 'AssumeRole');
    const allowed = inCustomer.find(
      (r) =>
        (r.responseElements?.['credentials'] as { accessKeyId: string } | undefined)?.accessKeyId === key,
    );
    const twin = inPlatform.find((r) => r.requestID === allowed?.requestID);
    expect(allowed).toMatchObject({
      eventVersion: '1.08',
      eventSource: 'sts.amazonaws.com',
      awsRegion: REGION,
      recipientAccountId: CUSTOMER,
      readOnly: true,
      eventType: 'AwsApiCall',
      managementEvent: true,
      userIdentity: {
        type: 'IAMUser',
        arn: `arn:aws:iam::${PLATFORM}:user/runtrail`,
        accessKeyId: RUNTRAIL.accessKeyId,
        userName: 'runtrail',
      },
      requestParameters: {
        roleArn: DEMO_ROLE_ARN,
        roleSessionName: 'trail-ok',
        externalId: 'acme@trail@s@read',
      },
      resources: [{ accountId: CUSTOMER, type: 'AWS::IAM::Role', ARN: DEMO_ROLE_ARN }],
    });
    expect((allowed?.responseElements?.['credentials'] as { expiration: string }).expiration).toMatch(
      /^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}:\d{2} [AP]M$/,
    );
    expect(allowed?.responseElements?.['credentials']).not.toHaveProperty('sessionToken');
    expect(twin).toMatchObject({ recipientAccountId: PLATFORM, sharedEventID: allowed?.sharedEventID });
    expect(twin?.eventID).not.toBe(allowed?.eventID);

    const denied = inCustomer.filter((r) => r.errorCode === 'AccessDenied');
    expect(denied.length).toBeGreaterThan(0);
    for (const r of denied) {
      expect(r.requestParameters).toBeNull();
      expect(r.errorMessage).toMatch(
        /is not authorized to perform: sts:\w+ on resource: arn:aws:iam::222222222222:role\//,
      );
    }
    // Cross-account refusals are in the caller's account too; same-account ones only once.
    const crossAccount = denied.filter((r) => r.userIdentity?.accountId === PLATFORM);
    const twins = crossAccount.filter((r) =>
      inPlatform.some((p) => p.errorCode === 'AccessDenied' && p.requestID === r.requestID),
    );
    expect(twins).toHaveLength(crossAccount.length);
    expect(denied.filter((r) => r.userIdentity?.accountId === CUSTOMER).every((r) => !r.sharedEventID)).toBe(
      true,
    );
    const all = JSON.stringify([...emulator.events(CUSTOMER), ...emulator.events(PLATFORM)]);
    expect(all).not.toContain(ok.Credentials?.SecretAccessKey);
    expect(all).not.toContain(ok.Credentials?.SessionToken);
    expect(all).not.toContain(RUNTRAIL.secretAccessKey);
  });

  it('every recorded event parses with libs/cloudtrail, including denied AssumeRole role ARNs', () => {
    const records: CloudTrailRecord[] = [...emulator.events(CUSTOMER), ...emulator.events(PLATFORM)];
    expect(records.length).toBeGreaterThan(20);
    for (const record of records) {
      const parsed = parseCloudTrailRecord(record);
      if (!parsed.ok) throw new Error(parsed.reason);
      if (parsed.event.eventName === 'AssumeRole') {
        expect(parsed.event.assumeRole?.roleArn).toMatch(/^arn:aws:iam::\d{12}:role\//);
        if (!parsed.event.errorCode) expect(parsed.event.assumeRole?.expiration).toBeInstanceOf(Date);
      }
    }
  });

  it('LookupEvents: newest first, in the signing region, every lookup attribute, paging', async () => {
    const assumed = await assume({ ExternalId: 'acme@lookup@s@read', RoleSessionName: 'lookup-session' });
    const key = assumed.Credentials?.AccessKeyId ?? '';
    await sts(temporary(assumed.Credentials)).send(new GetCallerIdentityCommand({}));

    const recent = await lookup({ MaxResults: 5 });
    const times = (recent.Events ?? []).map((e) => e.EventTime?.getTime() ?? 0);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(recent.Events?.[0]).toMatchObject({
      EventName: 'GetCallerIdentity',
      Username: 'lookup-session',
      AccessKeyId: key,
      ReadOnly: 'true',
    });
    expect(JSON.parse(recent.Events?.[0]?.CloudTrailEvent ?? '{}')).toMatchObject({
      eventName: 'GetCallerIdentity',
      recipientAccountId: CUSTOMER,
    });

    const byKey = await lookup(by('AccessKeyId', key));
    expect(byKey.Events?.map((e) => e.EventName)).toEqual(['GetCallerIdentity']);
    const assumeRoles = await lookup(by('EventName', 'AssumeRole'));
    expect(assumeRoles.Events?.length).toBeGreaterThan(3);
    expect(assumeRoles.Events?.every((e) => e.EventName === 'AssumeRole')).toBe(true);
    const byUser = await lookup(by('Username', 'runtrail'));
    expect(byUser.Events?.every((e) => e.Username === 'runtrail')).toBe(true);
    const byResource = await lookup(by('ResourceName', DEMO_ROLE_ARN));
    expect(byResource.Events?.[0]?.Resources).toEqual([
      { ResourceType: 'AWS::IAM::Role', ResourceName: DEMO_ROLE_ARN },
    ]);
    expect((await lookup(by('ResourceType', 'AWS::IAM::Role'))).Events?.length).toBeGreaterThan(
      byResource.Events?.length ?? 0,
    );
    const one = recent.Events?.[1]?.EventId ?? '';
    expect((await lookup(by('EventId', one))).Events?.map((e) => e.EventId)).toEqual([one]);
    expect((await lookup(by('EventSource', 'sts.amazonaws.com'))).Events?.length).toBeGreaterThan(5);
    expect((await lookup(by('ReadOnly', 'false'))).Events).toEqual([]);
    // IAM is global: its events are in us-east-1, not in the STS region.
    expect((await lookup(by('EventSource', 'iam.amazonaws.com'))).Events).toEqual([]);
    expect((await lookup(by('EventName', 'CreateRole'), 'us-east-1')).Events?.length).toBeGreaterThan(1);

    const pages: string[] = [];
    let token: string | undefined;
    do {
      const page = await lookup({ ...by('EventName', 'AssumeRole'), MaxResults: 2, NextToken: token });
      expect(page.Events?.length).toBeLessThanOrEqual(2);
      pages.push(...(page.Events ?? []).map((e) => e.EventId ?? ''));
      token = page.NextToken;
    } while (token);
    expect(pages).toEqual(assumeRoles.Events?.map((e) => e.EventId));

    const window = await lookup({
      StartTime: new Date(time.clock().getTime() + 60_000),
      EndTime: new Date(time.clock().getTime() + 120_000),
    });
    expect(window.Events).toEqual([]);
  });

  it('LookupEvents validates its input like CloudTrail', async () => {
    expect((await failure(lookup({ MaxResults: 51 }))).name).toBe('InvalidMaxResultsException');
    const two = {
      LookupAttributes: [
        { AttributeKey: 'EventName' as const, AttributeValue: 'a' },
        { AttributeKey: 'Username' as const, AttributeValue: 'b' },
      ],
    };
    expect((await failure(lookup(two))).name).toBe('InvalidLookupAttributesException');
    expect(
      (
        await failure(
          lookup({ StartTime: new Date(2_000_000_000_000), EndTime: new Date(1_000_000_000_000) }),
        )
      ).name,
    ).toBe('InvalidTimeRangeException');
    expect((await failure(lookup({ NextToken: 'garbage' }))).name).toBe('InvalidNextTokenException');
    const asPlatformNoPolicy = await failure(cloudtrail(NO_POLICY_USER).send(new LookupEventsCommand({})));
    expect(asPlatformNoPolicy.name).toBe('AccessDeniedException');
  });

  it('writes S3-style gzip log files that libs/cloudtrail reads back', async () => {
    const files = await emulator.flushLogs();
    expect(files.length).toBeGreaterThan(0);
    const pattern = new RegExp(
      `/AWSLogs/(\\d{12})/CloudTrail/([a-z0-9-]+)/\\d{4}/\\d{2}/\\d{2}/\\1_CloudTrail_\\2_\\d{8}T\\d{4}Z_[A-Za-z0-9]{16}\\.json\\.gz$`,
    );
    let records = 0;
    for (const file of files) {
      expect(file.startsWith(trailDir)).toBe(true);
      expect(file).toMatch(pattern);
      for await (const item of readCloudTrailFile(file)) {
        if (!item.ok) throw new Error(`${file}: ${item.reason}`);
        records++;
      }
    }
    expect(records).toBe(emulator.events(CUSTOMER).length + emulator.events(PLATFORM).length);
    expect(await emulator.flushLogs()).toEqual([]);
  });
});

describe('faults, counters and the admin endpoint', () => {
  afterEach(() => emulator.setFaults([]));

  it('injects throttling, 5xx and latency by action, from code or POST /_emulator/faults', async () => {
    emulator.setFaults([{ action: 'sts:AssumeRole', rate: 1, kind: 'throttle' }]);
    expect(await failure(assume({ ExternalId: 'acme@x' }))).toMatchObject({
      name: 'Throttling',
      status: 400,
    });
    await sts(RUNTRAIL).send(new GetCallerIdentityCommand({}));

    const posted = await fetch(`${emulator.endpoint}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({
        rules: [
          { action: 'GetCallerIdentity', rate: 1, kind: '5xx', status: 503 },
          { action: 'AssumeRole', rate: 1, kind: 'latency', latencyMs: 150 },
        ],
      }),
    });
    expect(posted.status).toBe(200);
    expect(await failure(sts(RUNTRAIL).send(new GetCallerIdentityCommand({})))).toMatchObject({
      name: 'ServiceUnavailable',
      status: 503,
    });
    const started = Date.now();
    await assume({ ExternalId: 'acme@x' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    const invalid = await fetch(`${emulator.endpoint}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify([{ rate: 2, kind: 'boom' }]),
    });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({
      error: 'VALIDATION_FAILED',
      issues: expect.arrayContaining([expect.objectContaining({ path: '0.rate' })]),
    });
  });

  it('counts requests per (action, account, region) and reports health', async () => {
    emulator.resetRequestCounts();
    await sts(RUNTRAIL).send(new GetCallerIdentityCommand({}));
    await sts(RUNTRAIL).send(new GetCallerIdentityCommand({}));
    await failure(
      sts({ accessKeyId: 'AKIA0000000000000000', secretAccessKey: 'x'.repeat(40) }).send(
        new GetCallerIdentityCommand({}),
      ),
    );
    expect(emulator.requestCounts({ action: 'GetCallerIdentity' })).toEqual(
      expect.arrayContaining([
        { action: 'GetCallerIdentity', accountId: PLATFORM, region: REGION, count: 2 },
        { action: 'GetCallerIdentity', accountId: 'unknown', region: REGION, count: 1 },
      ]),
    );
    expect(emulator.requestTimes('GetCallerIdentity', PLATFORM, REGION)).toHaveLength(2);
    const health = await (await fetch(`${emulator.endpoint}/_emulator/health`)).json();
    expect(health).toMatchObject({ status: 'ok', accounts: [PLATFORM, CUSTOMER] });
  });
});
