import { parseCloudTrailRecord } from './parse-cloudtrail-record';

const denied = {
  eventVersion: '1.08',
  userIdentity: {
    type: 'IAMUser',
    principalId: 'AIDA1',
    arn: 'arn:aws:iam::111111111111:user/ci',
    accountId: '111111111111',
    accessKeyId: '',
    userName: 'ci',
  },
  eventTime: '2023-07-10T12:09:26Z',
  eventSource: 'sts.amazonaws.com',
  eventName: 'AssumeRole',
  awsRegion: 'us-east-1',
  errorCode: 'AccessDenied',
  errorMessage:
    'User: arn:aws:iam::111111111111:user/ci is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/deploy.',
  requestParameters: null,
  responseElements: null,
  eventID: 'e1',
  readOnly: true,
};

describe('parseCloudTrailRecord', () => {
  it('recovers the role ARN of a denied AssumeRole from errorMessage; empty access key is null', () => {
    const result = parseCloudTrailRecord(denied);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.event.assumeRole).toMatchObject({
      roleArn: 'arn:aws:iam::222222222222:role/deploy',
      roleSessionName: null,
      issuedAccessKeyId: null,
    });
    expect(result.event.principal).toMatchObject({ type: 'IAMUser', userName: 'ci', accessKeyId: null });
    expect(result.event.requestParameters).toBeNull();
    expect(result.event.rawSize).toBe(Buffer.byteLength(JSON.stringify(denied)));
  });

  it('reads a successful chained AssumeRole: session, source identity, tags, human expiration, no token', () => {
    const record = {
      ...denied,
      errorCode: undefined,
      errorMessage: undefined,
      userIdentity: {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::222222222222:assumed-role/deploy/01RUN@caller@acme',
        accountId: '222222222222',
        accessKeyId: 'ASIAPARENT',
        sessionContext: {
          sessionIssuer: { arn: 'arn:aws:iam::222222222222:role/deploy' },
          sourceIdentity: '01RUN',
        },
      },
      requestParameters: {
        roleArn: 'arn:aws:iam::333333333333:role/next',
        roleSessionName: 'next',
        externalId: 'acme@int@stack@write',
        durationSeconds: 900,
        sourceIdentity: '01RUN',
        tags: [{ key: 'run', value: '01RUN' }],
      },
      responseElements: {
        credentials: {
          accessKeyId: 'ASIACHILD',
          sessionToken: 'SECRET',
          expiration: 'Jul 10, 2023, 12:24:26 PM',
        },
        assumedRoleUser: {
          arn: 'arn:aws:sts::333333333333:assumed-role/next/next',
          assumedRoleId: 'AROA1:next',
        },
      },
      sharedEventID: 'shared',
    };
    const result = parseCloudTrailRecord(record, { rawSize: 42 });
    if (!result.ok) throw new Error(result.reason);
    const { event } = result;
    expect(event.principal).toMatchObject({
      sessionName: '01RUN@caller@acme',
      sourceIdentity: '01RUN',
      sessionIssuerArn: 'arn:aws:iam::222222222222:role/deploy',
    });
    expect(event.assumeRole).toEqual({
      roleArn: 'arn:aws:iam::333333333333:role/next',
      roleSessionName: 'next',
      externalId: 'acme@int@stack@write',
      sourceIdentity: '01RUN',
      durationSeconds: 900,
      sessionTags: { run: '01RUN' },
      issuedAccessKeyId: 'ASIACHILD',
      assumedRoleArn: 'arn:aws:sts::333333333333:assumed-role/next/next',
      assumedRoleId: 'AROA1:next',
      expiration: new Date('2023-07-10T12:24:26Z'),
    });
    expect(JSON.stringify(event.responseElements)).not.toContain('SECRET');
    expect(record.responseElements.credentials.sessionToken).toBe('SECRET');
    expect(event.sharedEventId).toBe('shared');
    expect(event.rawSize).toBe(42);
  });

  it('accepts identity-less service events and refuses records without identity of their own', () => {
    expect(
      parseCloudTrailRecord({
        eventID: 'x',
        eventName: 'Ev',
        eventSource: 's',
        eventTime: '2024-01-01T00:00:00Z',
      }).ok,
    ).toBe(true);
    expect(parseCloudTrailRecord(null)).toEqual({ ok: false, reason: 'record is not a JSON object' });
    expect(parseCloudTrailRecord([])).toMatchObject({ ok: false });
    expect(parseCloudTrailRecord({ eventName: 'x' })).toEqual({ ok: false, reason: 'record has no eventID' });
    expect(parseCloudTrailRecord({ ...denied, eventTime: 'yesterday' })).toEqual({
      ok: false,
      reason: 'record e1 has no readable eventTime',
    });
  });

  it('refuses a record nested deeper than 64 levels (NATS push, LookupEvents) without overflowing', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect(parseCloudTrailRecord({ ...denied, requestParameters: deep })).toEqual({
      ok: false,
      reason: 'record nests deeper than 64 levels',
    });
    let list: unknown[] = [];
    // record 1, requestParameters 2, then the arrays: 62 wraps put the innermost at level 65.
    for (let i = 0; i < 62; i++) list = [list];
    expect(parseCloudTrailRecord({ ...denied, requestParameters: { list } }).ok).toBe(false);
    expect(parseCloudTrailRecord({ ...denied, requestParameters: { list: list[0] } }).ok).toBe(true);
  });
});
