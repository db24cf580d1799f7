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
import type { TrailAws } from './reader-sessions';

/** What is verified: a source about to be saved (its id is already chosen: it is in the external id). */
export interface TrailSourceCandidate {
  id: string;
  account: string;
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
 * (one result, in the source's first region). The assumed credentials are used for that one call
 * and dropped. S3 read permission is not checked yet (S3 delivery is not built).
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
  try {
    const end = new Date();
    await client.lookup({ region, start: new Date(end.getTime() - 3600_000), end, nextToken: null, maxResults: 1 });
    return pass('lookup-events', `the reader session may call cloudtrail:LookupEvents in ${region}`);
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    return fail('lookup-events',
      `the session of ${roleArn} could not call cloudtrail:LookupEvents in ${region} (${name}: ${message}). ` +
        'Attach the permission statements below to the role.');
  } finally {
    client.close();
  }
}
