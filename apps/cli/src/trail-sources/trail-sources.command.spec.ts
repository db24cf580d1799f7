import { capturedIo, problem, startApiStub, type StubRequest } from '../api/api-stub.testing';
import { CommandUsageError } from '../output/cli-io';
import { trailSourcesCommand } from './trail-sources.command';

const ROLE = 'arn:aws:iam::222222222222:role/runtrail-trail-reader';
const SOURCE = {
  id: '01JSRC00000000000000000000',
  account: 'acme',
  awsAccountId: '222222222222',
  regions: ['us-east-1', 'eu-west-1'],
  roleArn: ROLE,
  bucket: 'trails',
  prefix: 'org/',
  externalId: 'acme@trail-source@01JSRC00000000000000000000',
  createdAt: '2026-12-02T04:00:00.000Z',
  updatedAt: '2026-12-02T04:00:00.000Z',
  verifiedAt: '2026-12-02T04:00:00.000Z',
  health: [
    {
      region: 'us-east-1',
      lastSuccessfulPollAt: '2026-12-02T05:00:00.000Z',
      lagSeconds: 12,
      lastError: null,
      lastErrorAt: null,
      eventsIngested: 42,
    },
    {
      region: 'eu-west-1',
      lastSuccessfulPollAt: null,
      lagSeconds: null,
      lastError: 'AccessDenied',
      lastErrorAt: '2026-12-02T05:00:00.000Z',
      eventsIngested: 0,
    },
  ],
};

// The stand-in answers the shapes of audit's trail-sources API (TrailSourceView, `{items}`, 204, 422
// UNSAFE_TRUST_POLICY with checks and statements), so the CLI's own behaviour is tested without AWS.
describe('runtrail trail-sources (against a local HTTP stand-in for the API)', () => {
  let stub: Awaited<ReturnType<typeof startApiStub>>;
  let route: (request: StubRequest) => { status: number; body?: unknown; type?: string };
  const env = () => ({
    RUNTRAIL_URL: stub.url,
    RUNTRAIL_API_KEY: 'rtk.01JKEY0000000000000000000.admin-secret',
  });
  const run = (args: string[]) => {
    const io = capturedIo();
    return trailSourcesCommand(args, env(), io).then((code) => ({ code, out: io.out() }));
  };

  beforeAll(async () => {
    stub = await startApiStub((request) => route(request));
  });
  beforeEach(() => void (stub.requests.length = 0));
  afterAll(() => stub.close());

  it('add posts the documented body and shows the external id', async () => {
    route = () => ({ status: 201, body: SOURCE });
    const { code, out } = await run([
      'add',
      '--aws-account',
      '222222222222',
      '--region',
      'us-east-1,eu-west-1',
      '--region',
      'us-east-1',
      '--role-arn',
      ROLE,
      '--bucket',
      'trails',
      '--prefix',
      'org/',
    ]);
    expect(code).toBe(0);
    expect(stub.requests).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: '/v1/audit/trail-sources',
        body: {
          awsAccountId: '222222222222',
          regions: ['us-east-1', 'eu-west-1'],
          roleArn: ROLE,
          bucket: 'trails',
          prefix: 'org/',
        },
      }),
    ]);
    expect(out).toContain(
      `trail source ${SOURCE.id} verified and saved: AWS account 222222222222 (us-east-1, eu-west-1)`,
    );
    expect(out).toContain(`external id: ${SOURCE.externalId}`);
  });

  it('add refuses a body the API would refuse, before calling it', async () => {
    const refused = (args: string[]) => run(['add', ...args]).catch((e: Error) => e);
    const base = ['--aws-account', '222222222222', '--region', 'us-east-1', '--role-arn', ROLE];
    expect(await refused(['--region', 'us-east-1'])).toEqual(
      new CommandUsageError('trail-sources add needs --aws-account, --role-arn'),
    );
    expect(await refused(['--aws-account', '2222', '--region', 'us-east-1', '--role-arn', ROLE])).toEqual(
      new CommandUsageError('--aws-account: must be a 12-digit AWS account id'),
    );
    expect(await refused([...base, '--region', 'mars'])).toEqual(
      new CommandUsageError('--region: must be an AWS region such as eu-west-1'),
    );
    expect(await refused([...base.slice(0, 4), '--role-arn', 'arn:aws:iam::222222222222:user/bob'])).toEqual(
      new CommandUsageError(
        '--role-arn: must be an IAM role ARN: arn:<aws|aws-cn|aws-us-gov>:iam::<12-digit account>:role/<name>',
      ),
    );
    expect(
      await refused([...base.slice(0, 4), '--role-arn', 'arn:aws:iam::333333333333:role/reader']),
    ).toEqual(
      new CommandUsageError('--role-arn: must be a role in awsAccountId (the account whose trail it reads)'),
    );
    expect(await refused([...base, '--prefix', 'org/'])).toEqual(
      new CommandUsageError('--prefix: needs a bucket (S3 delivery)'),
    );
    expect(await refused([...base, '--bucket', 'Bad_Bucket'])).toBeInstanceOf(CommandUsageError);
    expect(await refused([...base, '--bucket', 'trails', '--prefix', 'org/*'])).toEqual(
      new CommandUsageError('--prefix: must be a key prefix without wildcards'),
    );
    expect(stub.requests).toHaveLength(0);
  });

  it('a reader role that fails verification shows every check and the statements to paste, exit 1', async () => {
    route = () =>
      problem(422, `the reader role ${ROLE} failed confused-deputy; nothing was saved`, {
        code: 'UNSAFE_TRUST_POLICY',
        checks: [
          { check: 'assume-with-external-id', status: 'pass', message: 'assumed' },
          { check: 'confused-deputy', status: 'fail', message: 'assumed without an external id' },
        ],
        externalId: 'acme@trail-source@01JSRC00000000000000000001',
        trustStatement: { Effect: 'Allow', Action: 'sts:AssumeRole' },
        permissionStatements: [{ Effect: 'Allow', Action: 'cloudtrail:LookupEvents', Resource: '*' }],
      });
    const args = ['add', '--aws-account', '222222222222', '--region', 'us-east-1', '--role-arn', ROLE];
    const io = capturedIo();
    await expect(trailSourcesCommand(args, env(), io)).resolves.toBe(1);
    expect(io.out()).toBe('');
    expect(io.err()).toContain(
      `POST /v1/audit/trail-sources answered 422: the reader role ${ROLE} failed confused-deputy; nothing was saved`,
    );
    expect(io.err()).toContain('  FAIL confused-deputy: assumed without an external id');
    expect(io.err()).toContain('external id: acme@trail-source@01JSRC00000000000000000001');
    expect(io.err()).toMatch(
      /permissionStatements to paste into the reader role:\n\[\n {2}\{\n {4}"Effect": "Allow",\n {4}"Action": "cloudtrail:LookupEvents"/,
    );

    const json = capturedIo();
    await expect(trailSourcesCommand([...args, '--json'], env(), json)).resolves.toBe(1);
    expect(JSON.parse(json.out())).toMatchObject({
      status: 422,
      code: 'UNSAFE_TRUST_POLICY',
      externalId: expect.any(String),
    });
  });

  it("another HTTP error fails with the problem's detail and field issues", async () => {
    route = () =>
      problem(400, 'invalid trail source', {
        issues: [{ path: 'roleArn', rule: 'must be a role in awsAccountId' }],
      });
    const error = await run([
      'add',
      '--aws-account',
      '222222222222',
      '--region',
      'us-east-1',
      '--role-arn',
      ROLE,
    ]).catch((e: Error) => e);
    expect(error).not.toBeInstanceOf(CommandUsageError);
    expect((error as Error).message).toBe(
      'POST /v1/audit/trail-sources answered 400: invalid trail source; roleArn: must be a role in awsAccountId',
    );
  });

  it('list shows one row per region with its health, or the JSON with --json; rm deletes by id', async () => {
    route = (request) =>
      request.method === 'DELETE' ? { status: 204 } : { status: 200, body: { items: [SOURCE] } };
    const table = await run(['list']);
    expect(table.out.split('\n')).toEqual([
      expect.stringMatching(
        /^ID\s+AWS ACCOUNT\s+REGION\s+ROLE\s+READS\s+LAST POLL\s+LAG\s+EVENTS\s+LAST ERROR$/,
      ),
      expect.stringMatching(
        /^01JSRC\S+\s+222222222222\s+us-east-1\s+arn\S+\s+s3:\/\/trails\/org\/\s+2026-12-02T05:00:00.000Z\s+12s\s+42\s+-$/,
      ),
      expect.stringMatching(
        /^01JSRC\S+\s+222222222222\s+eu-west-1\s+arn\S+\s+s3:\/\/trails\/org\/\s+never\s+-\s+0\s+AccessDenied$/,
      ),
      '',
    ]);
    const json = await run(['list', '--json']);
    expect(JSON.parse(json.out)).toEqual({ items: [SOURCE], nextCursor: null });
    expect(stub.requests.filter((r) => r.method === 'GET')).toHaveLength(2);
    const removed = await run(['rm', SOURCE.id]);
    expect(removed.out).toBe(`trail source ${SOURCE.id} removed\n`);
    expect(stub.requests.at(-1)).toMatchObject({
      method: 'DELETE',
      path: `/v1/audit/trail-sources/${SOURCE.id}`,
    });
    await expect(run(['rm'])).rejects.toThrow(/takes one argument: the source id/);
    await expect(run(['list', '--bucket', 'x'])).rejects.toThrow(
      /--bucket is an option of trail-sources add only/,
    );
  });
});
