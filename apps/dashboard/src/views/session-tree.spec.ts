import type { EventView } from '../api/views';
import { assumedSessionArn, flatten, sessionTree } from './session-tree';

const PLATFORM = 'arn:aws:iam::111111111111:user/runtrail';
const RUN = 'arn:aws:sts::222222222222:assumed-role/deploy/01RUN@network@acme';
const CHAINED = 'arn:aws:sts::222222222222:assumed-role/app/chained';

let n = 0;
function call(principalArn: string, eventName: string, extra: Partial<EventView> = {}): EventView {
  n++;
  return {
    eventId: `e${n}`, eventTime: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(), eventName, eventSource: 'sts.amazonaws.com',
    awsRegion: 'us-east-1', awsAccountId: '222222222222', principalArn, principalType: 'AssumedRole', accessKeyId: `K${principalArn.length}`,
    sourceIdentity: null, sourceIp: null, userAgent: null, errorCode: null, denied: false, roleArn: null, resources: [],
    requestParameters: null, runId: '01RUN', account: 'acme', spaceId: 'root', callerId: 'c', link: null, ...extra,
  };
}

describe('sessionTree (the run view\'s calls per session)', () => {
  it('nests the run session under the identity that issued it and a chained session under the run session', () => {
    const events = [
      call(PLATFORM, 'AssumeRole', { roleArn: 'arn:aws:iam::222222222222:role/deploy', requestParameters: { roleSessionName: '01RUN@network@acme' } }),
      call(RUN, 'PutRolePolicy'),
      call(RUN, 'AssumeRole', { roleArn: 'arn:aws:iam::222222222222:role/app', requestParameters: { roleSessionName: 'chained' } }),
      call(CHAINED, 'GetCallerIdentity'),
      call(RUN, 'AssumeRole', { roleArn: 'arn:aws:iam::222222222222:role/other', requestParameters: { roleSessionName: 'x' }, denied: true, errorCode: 'AccessDenied' }),
    ];
    const flat = flatten(sessionTree(events)).map(({ node, depth }) => [depth, node.principal, node.calls.map((c) => c.eventName), node.assumedBy?.eventId ?? null]);
    expect(flat).toEqual([
      [0, PLATFORM, ['AssumeRole'], null],
      [1, RUN, ['PutRolePolicy', 'AssumeRole', 'AssumeRole'], 'e1'],
      [2, CHAINED, ['GetCallerIdentity'], 'e3'],
    ]);
  });

  it('keeps a session whose AssumeRole is not in the run at the top, and a refused AssumeRole makes no session', () => {
    const events = [call(CHAINED, 'GetCallerIdentity'), call(RUN, 'AssumeRole', { roleArn: 'arn:aws:iam::222222222222:role/app', requestParameters: { roleSessionName: 'chained' }, denied: true })];
    expect(flatten(sessionTree(events)).map(({ node, depth }) => [depth, node.principal])).toEqual([[0, CHAINED], [0, RUN]]);
  });

  it('derives the session ARN from the role ARN (with a path) and the requested session name', () => {
    expect(assumedSessionArn(call(RUN, 'AssumeRole', { roleArn: 'arn:aws:iam::222222222222:role/team/app', requestParameters: { roleSessionName: 's1' } }))).toBe(
      'arn:aws:sts::222222222222:assumed-role/app/s1',
    );
    expect(assumedSessionArn(call(RUN, 'AssumeRole', { roleArn: null }))).toBeNull();
  });
});
