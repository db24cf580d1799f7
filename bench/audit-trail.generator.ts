// Synthetic CloudTrail S3-delivery files for the audit benchmarks (bench/audit-ingest.bench.ts): runs
// that AssumeRole with runtrail's formats and then make calls with the issued key (reads and
// mutations naming resources), mixed with unrelated IAM-user traffic, in time order, 1,000 records
// a file, gzipped like CloudTrail delivers them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const BENCH_PLATFORM = '111111111111';
export const BENCH_CUSTOMER = '222222222222';
export const BENCH_ROLE = `arn:aws:iam::${BENCH_CUSTOMER}:role/runtrail-bench`;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export interface BenchRun {
  runId: string;
  accessKeyId: string;
  sessionName: string;
  issuedAt: Date;
  /** The eventID of the run's AssumeRole. */
  assumeEventId: string;
  /** Whether the bench registers an issuance for it (90% of runs; the rest are "nobody issued"). */
  issued: boolean;
}

export interface GeneratedTrail {
  dir: string;
  events: number;
  files: number;
  runs: BenchRun[];
  /** Names of roles created by the runs (who-changed targets). */
  resources: string[];
}

/** A deterministic ULID-shaped id for run `i` (no randomness: runs are reproducible). */
export function benchRunId(i: number): string {
  let n = i;
  let tail = '';
  for (let k = 0; k < 10; k++) {
    tail = CROCKFORD[n % 32] + tail;
    n = Math.floor(n / 32);
  }
  return `01J${'0'.repeat(13)}${tail}`;
}

function keyOf(prefix: string, i: number): string {
  return `${prefix}${i.toString(36).toUpperCase().padStart(16, '0')}`;
}

const READS = ['DescribeInstances', 'GetRole', 'ListBuckets', 'GetCallerIdentity', 'DescribeVpcs'];

/** Writes `events` records under `dir`; every run makes `perRun` records (1 AssumeRole + calls). */
export function generateTrail(dir: string, events: number, perRun = 100, perFile = 1000): GeneratedTrail {
  mkdirSync(dir, { recursive: true });
  const start = Date.parse('2026-10-01T00:00:00Z');
  const runs: BenchRun[] = [];
  const resources: string[] = [];
  let batch: unknown[] = [];
  let files = 0;
  let seq = 0;
  const flush = () => {
    if (!batch.length) return;
    const name = `${BENCH_CUSTOMER}_CloudTrail_us-east-1_${String(files).padStart(6, '0')}.json.gz`;
    writeFileSync(join(dir, name), gzipSync(JSON.stringify({ Records: batch }), { level: 1 }));
    files++;
    batch = [];
  };
  const push = (record: unknown) => {
    batch.push(record);
    if (batch.length >= perFile) flush();
  };
  let active: BenchRun | null = null;
  let madeInRun = 0;
  for (let n = 0; n < events; n++) {
    const at = new Date(start + n * 100);
    const eventID = `00000000-0000-4000-8000-${(seq++).toString(16).padStart(12, '0')}`;
    if (!active || madeInRun >= perRun) {
      const i = runs.length;
      active = {
        runId: benchRunId(i), accessKeyId: keyOf('ASIA', i), sessionName: `${benchRunId(i)}@01J0000000000000000000CALL@acme`,
        issuedAt: at, assumeEventId: eventID, issued: i % 10 !== 9,
      };
      runs.push(active);
      madeInRun = 0;
      push(assumeRole(eventID, at, active));
    } else if (n % 10 === 3) {
      push(iamUserCall(eventID, at, n));
    } else {
      const mutate = madeInRun % 10 === 5;
      const roleName = `role-${runs.length - 1}-${madeInRun}`;
      if (mutate) resources.push(roleName);
      push(sessionCall(eventID, at, active, mutate ? 'CreateRole' : (READS[n % READS.length] ?? 'GetRole'), mutate ? roleName : null));
    }
    madeInRun++;
  }
  flush();
  return { dir, events, files, runs, resources };
}

function assumeRole(eventID: string, at: Date, run: BenchRun): unknown {
  return {
    eventVersion: '1.08', eventID, eventTime: iso(at), eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', awsRegion: 'us-east-1',
    sourceIPAddress: '10.1.2.3', userAgent: 'runtrail-credential-broker', recipientAccountId: BENCH_CUSTOMER, readOnly: true,
    userIdentity: { type: 'IAMUser', principalId: 'AIDAPLATFORM', arn: `arn:aws:iam::${BENCH_PLATFORM}:user/runtrail`, accountId: BENCH_PLATFORM, accessKeyId: 'AKIA1111RUNTRAIL0001', userName: 'runtrail' },
    requestParameters: { roleArn: BENCH_ROLE, roleSessionName: run.sessionName, externalId: 'acme@01J0000000000000000000INTG@network@write', sourceIdentity: run.runId, durationSeconds: 3600 },
    responseElements: {
      credentials: { accessKeyId: run.accessKeyId, sessionToken: 'x'.repeat(200), expiration: iso(new Date(at.getTime() + 3600_000)) },
      assumedRoleUser: { assumedRoleId: `AROABENCH:${run.sessionName}`, arn: `arn:aws:sts::${BENCH_CUSTOMER}:assumed-role/runtrail-bench/${run.sessionName}` },
      sourceIdentity: run.runId,
    },
    resources: [{ ARN: BENCH_ROLE, accountId: BENCH_CUSTOMER, type: 'AWS::IAM::Role' }],
    requestID: eventID, eventType: 'AwsApiCall', managementEvent: true, eventCategory: 'Management',
  };
}

function sessionCall(eventID: string, at: Date, run: BenchRun, eventName: string, roleName: string | null): unknown {
  return {
    eventVersion: '1.08', eventID, eventTime: iso(at), eventSource: roleName ? 'iam.amazonaws.com' : 'ec2.amazonaws.com', eventName,
    awsRegion: 'us-east-1', sourceIPAddress: '10.1.2.3', userAgent: 'terraform/1.9', recipientAccountId: BENCH_CUSTOMER, readOnly: !roleName,
    userIdentity: {
      type: 'AssumedRole', principalId: `AROABENCH:${run.sessionName}`, arn: `arn:aws:sts::${BENCH_CUSTOMER}:assumed-role/runtrail-bench/${run.sessionName}`,
      accountId: BENCH_CUSTOMER, accessKeyId: run.accessKeyId,
      sessionContext: { sessionIssuer: { type: 'Role', arn: BENCH_ROLE, accountId: BENCH_CUSTOMER, userName: 'runtrail-bench' }, sourceIdentity: run.runId, attributes: { creationDate: iso(run.issuedAt), mfaAuthenticated: 'false' } },
    },
    requestParameters: roleName ? { roleName, assumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}' } : { maxResults: 100 },
    responseElements: roleName ? { role: { arn: `arn:aws:iam::${BENCH_CUSTOMER}:role/${roleName}`, roleName, roleId: 'AROAX' } } : null,
    requestID: eventID, eventType: 'AwsApiCall', managementEvent: true, eventCategory: 'Management',
  };
}

function iamUserCall(eventID: string, at: Date, n: number): unknown {
  return {
    eventVersion: '1.08', eventID, eventTime: iso(at), eventSource: 's3.amazonaws.com', eventName: 'ListBuckets', awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.7', userAgent: 'aws-cli/2', recipientAccountId: BENCH_CUSTOMER, readOnly: true,
    userIdentity: { type: 'IAMUser', principalId: 'AIDAHUMAN', arn: `arn:aws:iam::${BENCH_CUSTOMER}:user/human-${n % 50}`, accountId: BENCH_CUSTOMER, accessKeyId: keyOf('AKIA', n % 50), userName: `human-${n % 50}` },
    requestParameters: null, responseElements: null, requestID: eventID, eventType: 'AwsApiCall', managementEvent: true, eventCategory: 'Management',
  };
}

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
