import {
  foreignTrailSourceExternalId,
  partitionOf,
  trailSourceExternalId,
  trailSourcePermissionStatements,
  trailSourceTrustStatement,
} from '@runtrail/aws-identity';
import { isRetryableStsError, retryTransient, StsError, type RetryPolicy, type TemporaryCredentials } from '@runtrail/aws-sts';
import type { VerifyCheck } from '@runtrail/contracts';
import { ulid } from 'ulid';
import { trailRegionFolder } from '../poller/trail-log-keys';
import type { TrailAws } from './reader-sessions';

/** What is verified: a source about to be saved (its id is already chosen: it is in the external id). */
export interface TrailSourceCandidate {
  id: string;
  account: string;
  awsAccountId: string;
  roleArn: string;
  regions: string[];
  bucket: string | null;
  prefix: string | null;
}

/** The verdict: every check, and the statements to paste into the reader role. */
export interface TrailSourceVerdict {
  ok: boolean;
  checks: VerifyCheck[];
  trustStatement: Record<string, unknown>;
  permissionStatements: Array<Record<string, unknown>>;
}

/** Right after a role is created IAM may still refuse it (eventual consistency): retried like the verifier does. */
export const TRAIL_VERIFY_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 500, maxDelayMs: 4000 };

const pass = (check: string, message: string): VerifyCheck => ({ check, status: 'pass', message });
const fail = (check: string, message: string): VerifyCheck => ({ check, status: 'fail', message });
const reason = (error: unknown) => (error instanceof StsError ? `${error.awsCode}: ${error.awsMessage}` : error instanceof Error ? error.message : String(error));

/**
 * Verifies a trail source's reader role as integrations' roles are verified, inside audit (which
 * needs runtrail's identity and the assumed session anyway, and is the only service that reads
 * CloudTrail): the source's external id works (retried for IAM propagation), no external id and
 * another tenant's id are refused, and the assumed session may call `cloudtrail:LookupEvents`
 * (one result, in the source's first region), and with a bucket, that it may list the folder S3
 * delivery writes the first region's log files to (`s3-read`). The assumed credentials are used for
 * those calls and dropped.
 */
export async function verifyTrailSource(
  aws: TrailAws,
  source: TrailSourceCandidate,
  platformAccountId: string,
  options: { policy?: RetryPolicy; saved: boolean },
): Promise<TrailSourceVerdict> {
  const policy = options.policy ?? TRAIL_VERIFY_RETRY;
  const region = source.regions[0] ?? null;
  const principal = `arn:${partitionOf(source.roleArn)}:iam::${platformAccountId}:root`;
  const assume = (externalId?: string) =>
    aws.sts.assumeRole({ roleArn: source.roleArn, region, sessionName: `runtrail-verify-${ulid()}`, durationSeconds: 900, externalId });
  const checks: VerifyCheck[] = [];
  const id = trailSourceExternalId({ account: source.account, sourceId: source.id });
  let session: TemporaryCredentials | null = null;
  try {
    session = await retryTransient(policy, () => assume(id), { retryable: (e) => isRetryableStsError(e, { retryAccessDenied: true }) });
    checks.push(pass('assume-with-external-id', `assumed ${source.roleArn} with the external id ${id}`));
  } catch (error) {
    checks.push(fail('assume-with-external-id',
      `runtrail's platform account (${principal}) could not assume ${source.roleArn} with the external id ${id} (${reason(error)}), ` +
      `after retrying for IAM propagation. Add the trust statement below to the role's trust policy.`));
  }
  checks.push(await refused(assume, undefined, 'confused-deputy',
    `${principal} can assume ${source.roleArn} WITHOUT an external id (the confused deputy): add the sts:ExternalId condition of the trust statement below.`));
  const foreign = foreignTrailSourceExternalId(source.id);
  checks.push(await refused(assume, foreign, 'foreign-external-id',
    `${principal} can assume ${source.roleArn} with ${foreign}, an id of no account of yours: the trust policy accepts other runtrail ` +
      `tenants' ids. Match sts:ExternalId exactly as the trust statement below does.`));
  if (session) checks.push(await lookupCheck(aws, session, region ?? 'us-east-1', source.roleArn));
  if (session && source.bucket) checks.push(await s3ReadCheck(aws, session, { ...source, bucket: source.bucket }, region ?? 'us-east-1'));
  return {
    ok: checks.every((c) => c.status !== 'fail'),
    checks,
    trustStatement: trailSourceTrustStatement({ source, platformAccountId, anySourceOfAccount: !options.saved }),
    permissionStatements: trailSourcePermissionStatements({ source }),
  };
}

async function refused(
  assume: (externalId?: string) => Promise<TemporaryCredentials>,
  externalId: string | undefined,
  check: string,
  failure: string,
): Promise<VerifyCheck> {
  try {
    await assume(externalId);
    return fail(check, failure);
  } catch {
    return pass(check, externalId ? `the external id ${externalId} is refused` : 'assuming the role without an external id is refused');
  }
}

async function lookupCheck(aws: TrailAws, session: TemporaryCredentials, region: string, roleArn: string): Promise<VerifyCheck> {
  const client = aws.lookupWith(session);
  const end = new Date();
  return sessionCheck('lookup-events', client,
    () => client.lookup({ region, start: new Date(end.getTime() - 3600_000), end, nextToken: null, maxResults: 1 }),
    `the reader session may call cloudtrail:LookupEvents in ${region}`,
    (why) => `the session of ${roleArn} could not call cloudtrail:LookupEvents in ${region} (${why}). Attach the permission statements below to the role.`);
}

/**
 * The assumed session may list the folder the reader lists (`ListObjectsV2`, max-keys 1): the
 * bucket exists, the role may `s3:ListBucket` there with that `s3:prefix`. `s3:GetObject` cannot be
 * checked before a file is delivered; a refused read shows in the region's health.
 */
async function s3ReadCheck(aws: TrailAws, session: TemporaryCredentials, source: TrailSourceCandidate & { bucket: string }, region: string): Promise<VerifyCheck> {
  const folder = trailRegionFolder(source.prefix, source.awsAccountId, region);
  const client = aws.bucketWith(session);
  return sessionCheck('s3-read', client,
    () => client.list({ region, bucket: source.bucket, prefix: folder, maxKeys: 1 }),
    `the reader session may list s3://${source.bucket}/${folder}`,
    (why) => `the session of ${source.roleArn} could not list s3://${source.bucket}/${folder} (${why}). Attach the permission statements ` +
      'below to the role (s3:ListBucket on the bucket for the prefix, s3:GetObject under it); the bucket must be the one the trail delivers to.');
}

/** One call with the assumed session: pass, or fail naming the AWS error; the client is closed either way. */
async function sessionCheck(check: string, client: { close(): void }, call: () => Promise<unknown>, passed: string, failed: (why: string) => string): Promise<VerifyCheck> {
  try {
    await call();
    return pass(check, passed);
  } catch (error) {
    return fail(check, failed(error instanceof Error ? `${error.name}: ${error.message}` : String(error)));
  } finally {
    client.close();
  }
}
