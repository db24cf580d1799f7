import { formatCloudTrailDate } from '@runtrail/cloudtrail';
import { AwsApiError } from '../../http/aws-api.error';
import type { CompiledPolicy } from '../../policy/compile-policy';
import type { Role } from '../../state/iam.types';
import type { RoleSession, SessionStore } from '../../state/session-store';

export interface IssueRequest {
  role: Role;
  sessionName: string;
  durationSeconds: number;
  now: Date;
  sourceIdentity: string | null;
  tags: Record<string, string>;
  transitiveTagKeys: string[];
  chained: boolean;
  via: RoleSession['via'];
  webIdentity: RoleSession['webIdentity'];
  sessionPolicies: CompiledPolicy[] | null;
  /** Characters of session policies and tags, for PackedPolicySize. */
  packedChars: number;
}

export interface Issued {
  session: RoleSession;
  packedPolicySize: number | null;
}

// STS packs session policies and tags into a fixed budget; past 100% it refuses the request.
const PACKED_BUDGET_CHARS = 2048;

export function issueSession(sessions: SessionStore, r: IssueRequest): Issued {
  const tagChars = Object.entries(r.tags).reduce((n, [k, v]) => n + k.length + v.length, 0);
  const packedChars = r.packedChars + tagChars;
  const packedPolicySize = packedChars > 0 ? Math.ceil((100 * packedChars) / PACKED_BUDGET_CHARS) : null;
  if (packedPolicySize !== null && packedPolicySize > 100) {
    throw new AwsApiError(
      'PackedPolicyTooLarge',
      `Packed policy consumes ${packedPolicySize}% of allotted space, please use smaller policy for this request.`,
    );
  }
  const issuedAt = new Date(Math.floor(r.now.getTime() / 1000) * 1000);
  const session = sessions.issue({
    issuedAt,
    expiration: new Date(issuedAt.getTime() + r.durationSeconds * 1000),
    accountId: r.role.accountId,
    roleArn: r.role.arn,
    roleName: r.role.name,
    roleId: r.role.roleId,
    sessionName: r.sessionName,
    assumedRoleArn: `arn:aws:sts::${r.role.accountId}:assumed-role/${r.role.name}/${r.sessionName}`,
    assumedRoleId: `${r.role.roleId}:${r.sessionName}`,
    sourceIdentity: r.sourceIdentity,
    tags: r.tags,
    transitiveTagKeys: r.transitiveTagKeys,
    chained: r.chained,
    via: r.via,
    webIdentity: r.webIdentity,
    sessionPolicies: r.sessionPolicies,
  });
  return { session, packedPolicySize };
}

/** The `Credentials`, `AssumedRoleUser`... members shared by both AssumeRole results. */
export function sessionResult(issued: Issued): Record<string, unknown> {
  const { session } = issued;
  return {
    ...(session.sourceIdentity ? { SourceIdentity: session.sourceIdentity } : {}),
    AssumedRoleUser: { AssumedRoleId: session.assumedRoleId, Arn: session.assumedRoleArn },
    Credentials: {
      AccessKeyId: session.accessKeyId,
      SecretAccessKey: session.secretAccessKey,
      SessionToken: session.sessionToken,
      Expiration: session.expiration.toISOString(),
    },
    ...(issued.packedPolicySize !== null ? { PackedPolicySize: issued.packedPolicySize } : {}),
  };
}

/** CloudTrail's responseElements: the access key id and expiry, never the secret or the token. */
export function sessionResponseElements(issued: Issued): Record<string, unknown> {
  const { session } = issued;
  return {
    credentials: {
      accessKeyId: session.accessKeyId,
      expiration: formatCloudTrailDate(session.expiration, 'sts'),
    },
    assumedRoleUser: { assumedRoleId: session.assumedRoleId, arn: session.assumedRoleArn },
    ...(issued.packedPolicySize !== null ? { packedPolicySize: issued.packedPolicySize } : {}),
    ...(session.sourceIdentity ? { sourceIdentity: session.sourceIdentity } : {}),
  };
}

export function roleResource(role: Role): { accountId: string; type: string; ARN: string } {
  return { accountId: role.accountId, type: 'AWS::IAM::Role', ARN: role.arn };
}
