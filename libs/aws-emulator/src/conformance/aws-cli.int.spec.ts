// The emulator as Debian's AWS CLI v2 (/usr/bin/aws) sees it: an independent client, run as a
// subprocess with only its environment and --endpoint-url pointing at the emulator.
import { parseCloudTrailRecord } from '@runtrail/cloudtrail';
import { startAwsEmulator, type AwsEmulator } from '../start-aws-emulator';
import {
  awsCli,
  cliJson,
  CUSTOMER,
  CUSTOMER_ADMIN,
  PLATFORM,
  RUNTRAIL,
  SEED_FILE,
  trustPolicy,
  type CliRun,
  type StaticCredentials,
} from './emulator.fixture';

let emulator: AwsEmulator;

beforeAll(async () => {
  emulator = await startAwsEmulator({ seed: SEED_FILE });
});
afterAll(() => emulator.stop());

function aws(credentials: StaticCredentials, ...args: string[]): Promise<CliRun> {
  return awsCli(emulator.endpoint, credentials, ...args);
}

const json = cliJson;

const ROLE = `arn:aws:iam::${CUSTOMER}:role/cli-role`;
const EXTERNAL_ID = 'acme@01CLI@stack-cli@read';

describe('AWS CLI v2 (/usr/bin/aws) against the emulator', () => {
  it('creates a role, assumes it with/without the external id, calls as the session, reads CloudTrail back', async () => {
    const document = trustPolicy({ AWS: `arn:aws:iam::${PLATFORM}:root` }, ['sts:AssumeRole'], {
      StringEquals: { 'sts:ExternalId': EXTERNAL_ID },
    });
    const created = json<{ Role: { Arn: string; RoleName: string } }>(
      await aws(
        CUSTOMER_ADMIN,
        'iam',
        'create-role',
        '--role-name',
        'cli-role',
        '--assume-role-policy-document',
        document,
      ),
    );
    expect(created.Role).toMatchObject({ Arn: ROLE, RoleName: 'cli-role' });

    const [got, allowed, denied, wrongSecret, unknownKey] = await Promise.all([
      aws(CUSTOMER_ADMIN, 'iam', 'get-role', '--role-name', 'cli-role'),
      aws(
        RUNTRAIL,
        'sts',
        'assume-role',
        '--role-arn',
        ROLE,
        '--role-session-name',
        'cli-session',
        '--external-id',
        EXTERNAL_ID,
      ),
      aws(RUNTRAIL, 'sts', 'assume-role', '--role-arn', ROLE, '--role-session-name', 'cli-session'),
      aws({ ...RUNTRAIL, secretAccessKey: 'tampered-secret-tampered-secret' }, 'sts', 'get-caller-identity'),
      aws(
        { accessKeyId: 'AKIA9999UNKNOWN00001', secretAccessKey: 'whatever-whatever-whatever' },
        'sts',
        'get-caller-identity',
      ),
    ]);
    // botocore decodes IAM's URL-encoded policy documents: the CLI shows the object it was given.
    expect(json<{ Role: { AssumeRolePolicyDocument: unknown } }>(got).Role.AssumeRolePolicyDocument).toEqual(
      JSON.parse(document),
    );
    const credentials = json<{
      Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string };
      AssumedRoleUser: { Arn: string };
    }>(allowed);
    expect(credentials.Credentials.AccessKeyId).toMatch(/^ASIA/);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('An error occurred (AccessDenied) when calling the AssumeRole operation');
    expect(denied.stderr).toContain(
      `User: arn:aws:iam::${PLATFORM}:user/runtrail is not authorized to perform: sts:AssumeRole on resource: ${ROLE}`,
    );
    expect(wrongSecret.code).not.toBe(0);
    expect(wrongSecret.stderr).toContain(
      'An error occurred (SignatureDoesNotMatch) when calling the GetCallerIdentity operation',
    );
    expect(unknownKey.code).not.toBe(0);
    expect(unknownKey.stderr).toContain(
      'An error occurred (InvalidClientTokenId) when calling the GetCallerIdentity operation',
    );

    const session: StaticCredentials = {
      accessKeyId: credentials.Credentials.AccessKeyId,
      secretAccessKey: credentials.Credentials.SecretAccessKey,
      sessionToken: credentials.Credentials.SessionToken,
    };
    const [me, lookup] = await Promise.all([
      aws(session, 'sts', 'get-caller-identity'),
      aws(
        CUSTOMER_ADMIN,
        'cloudtrail',
        'lookup-events',
        '--lookup-attributes',
        'AttributeKey=EventName,AttributeValue=AssumeRole',
        '--max-results',
        '10',
      ),
    ]);
    expect(json<{ Arn: string; Account: string }>(me)).toMatchObject({
      Arn: `arn:aws:sts::${CUSTOMER}:assumed-role/cli-role/cli-session`,
      Account: CUSTOMER,
    });

    const events = json<{ Events: { EventName: string; Username: string; CloudTrailEvent: string }[] }>(
      lookup,
    ).Events;
    expect(events).toHaveLength(2);
    const records = events.map((e) => parseCloudTrailRecord(JSON.parse(e.CloudTrailEvent)));
    const normalised = records.map((r) => (r.ok ? r.event : null));
    expect(normalised.map((e) => e?.errorCode ?? 'ok').sort()).toEqual(['AccessDenied', 'ok']);
    for (const e of normalised) expect(e?.assumeRole?.roleArn).toBe(ROLE);
    expect(normalised.find((e) => !e?.errorCode)?.assumeRole).toMatchObject({
      roleSessionName: 'cli-session',
      externalId: EXTERNAL_ID,
      issuedAccessKeyId: session.accessKeyId,
    });
    expect(events.every((e) => e.Username === 'runtrail')).toBe(true);
    expect(lookup.stdout).not.toContain(session.secretAccessKey);
    expect(lookup.stdout).not.toContain(session.sessionToken);
  });
});
