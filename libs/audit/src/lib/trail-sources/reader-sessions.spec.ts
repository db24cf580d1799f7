import type { AssumeRoleInput, Sts, TemporaryCredentials } from '@runtrail/aws-sts';
import type { AwsLookupEvents } from '../poller/lookup-events.client';
import type { AwsTrailBucket } from '../poller/trail-bucket.client';
import { ReaderSessions } from './reader-sessions';
import type { TrailSource } from './trail-source.store';

const HOUR = 3600_000;
const source: TrailSource = {
  id: '01HND497T9JKR76MR3KA2CDJHP', account: 'acme', awsAccountId: '222222222222', regions: ['us-east-1'],
  roleArn: 'arn:aws:iam::222222222222:role/trail-reader', bucket: null, prefix: null, createdAt: 0, updatedAt: 0, verifiedAt: 0,
};

/** STS, CloudTrail and S3 stand-ins: which sessions were assumed, and which session signed each request. */
function fakeAws(now: () => number) {
  const assumed: AssumeRoleInput[] = [];
  const signedWith: string[] = [];
  const aws = {
    sts: {
      assumeRole: async (input: AssumeRoleInput): Promise<TemporaryCredentials> => {
        assumed.push(input);
        return { accessKeyId: `ASIA${assumed.length}`, secretAccessKey: 's', sessionToken: 't', expiration: new Date(now() + HOUR), assumedRoleArn: '' };
      },
    } as unknown as Sts,
    lookupWith: (c: TemporaryCredentials) =>
      ({ lookup: async () => { signedWith.push(c.accessKeyId); return { records: [], unreadable: [], nextToken: null }; }, close: () => undefined }) as unknown as AwsLookupEvents,
    bucketWith: (c: TemporaryCredentials) =>
      ({ list: async () => { signedWith.push(`s3:${c.accessKeyId}`); return { objects: [], nextToken: null }; }, close: () => undefined }) as unknown as AwsTrailBucket,
  };
  return { aws, assumed, signedWith };
}

describe('ReaderSessions', () => {
  it("assumes the source's role as runtrail-audit@<account> with its external id, and again five minutes before expiry", async () => {
    let t = 1_000_000;
    const { aws, assumed, signedWith } = fakeAws(() => t);
    const sessions = new ReaderSessions(aws, () => t);
    const lookup = () => sessions.sourceFor(source).lookup({ region: 'us-east-1', start: new Date(0), end: new Date(t), nextToken: null });
    await lookup();
    t += 54 * 60_000;
    await lookup();
    t += 2 * 60_000; // 4 minutes left: refreshed
    await lookup();
    expect(assumed.map((a) => [a.sessionName, a.externalId, a.roleArn])).toEqual([
      ['runtrail-audit@acme', `acme@trail-source@${source.id}`, source.roleArn],
      ['runtrail-audit@acme', `acme@trail-source@${source.id}`, source.roleArn],
    ]);
    expect(signedWith).toEqual(['ASIA1', 'ASIA1', 'ASIA2']);
  });

  it('assumes again at once when the source names another role', async () => {
    const { aws, assumed } = fakeAws(Date.now);
    const sessions = new ReaderSessions(aws);
    const input = { region: 'us-east-1', start: new Date(0), end: new Date(), nextToken: null };
    await sessions.sourceFor(source).lookup(input);
    await sessions.sourceFor({ ...source, roleArn: 'arn:aws:iam::222222222222:role/other' }).lookup(input);
    expect(assumed.map((a) => a.roleArn)).toEqual([source.roleArn, 'arn:aws:iam::222222222222:role/other']);
  });

  it('reads S3 with the same session as LookupEvents, refreshed the same way', async () => {
    let t = 1_000_000;
    const { aws, assumed, signedWith } = fakeAws(() => t);
    const sessions = new ReaderSessions(aws, () => t);
    const list = () => sessions.bucketFor(() => source).list({ region: 'us-east-1', bucket: 'acme-trail', prefix: 'AWSLogs/' });
    await sessions.sourceFor(source).lookup({ region: 'us-east-1', start: new Date(0), end: new Date(t), nextToken: null });
    await list();
    t += 56 * 60_000; // 4 minutes left: refreshed
    await list();
    expect(assumed.map((a) => a.sessionName)).toEqual(['runtrail-audit@acme', 'runtrail-audit@acme']);
    expect(signedWith).toEqual(['ASIA1', 's3:ASIA1', 's3:ASIA2']);
  });
});
