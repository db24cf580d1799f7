import { z } from 'zod';
import { accountSlug, parseOrThrow, ulid } from '@runtrail/contracts';
import { partitionOf } from './arn.parser';
import { FOREIGN_ACCOUNT_SLUG } from './external-id.format';
import { ROLE_SESSION_NAME_MAX_LENGTH } from './sts-limits.constants';
import type { TrustStatement } from './trust-statement.format';

/** The middle field that tells a trail source's external id from an integration's (which has four fields). */
const TRAIL_SOURCE_MARK = 'trail-source';

const trailSourceParts = z.object({ account: accountSlug, sourceId: ulid });

/**
 * The external id audit passes when it assumes a trail source's reader role:
 * `<account>@trail-source@<sourceId>`. Three fields, so it never parses as an integration's
 * external id, and `trail-source` is not a ULID, so no integration id can collide with it.
 *
 * @throws RuntrailError `VALIDATION_FAILED` naming each bad field.
 */
export function trailSourceExternalId(parts: { account: string; sourceId: string }): string {
  const p = parseOrThrow(trailSourceParts, parts, 'trail source external ID parts');
  return [p.account, TRAIL_SOURCE_MARK, p.sourceId].join('@');
}

/** The id another tenant would present for the same source: a trust policy must refuse it. */
export function foreignTrailSourceExternalId(sourceId: string): string {
  return trailSourceExternalId({ account: FOREIGN_ACCOUNT_SLUG, sourceId });
}

/** The session name of audit's reader sessions (`runtrail-audit@<account>`), as CloudTrail shows it. */
export function trailReaderSessionName(account: string): string {
  // Not `<runId>@…`: audit must never take its own reader sessions for a run's.
  return `runtrail-audit@${account.replace(/[^\w+=,.-]/g, '-')}`.slice(0, ROLE_SESSION_NAME_MAX_LENGTH);
}

/** What decides a trail source's paste-ready statements. */
export interface TrailSourceStatementInput {
  source: { id: string; account: string; roleArn: string; bucket?: string | null; prefix?: string | null };
  platformAccountId: string;
  /**
   * Match any trail source of the account (`<account>@trail-source@*`) instead of this one's id:
   * for a source not saved yet, whose id a retried POST would not reuse. Still refuses every other
   * tenant's ids, since they start with another account slug.
   */
  anySourceOfAccount?: boolean;
}

/** The trust statement: runtrail's platform account may assume the reader role with this source's external id. */
export function trailSourceTrustStatement(input: TrailSourceStatementInput): TrustStatement {
  const { source } = input;
  const condition = input.anySourceOfAccount
    ? { StringLike: { 'sts:ExternalId': `${parseOrThrow(accountSlug, source.account, 'account')}@${TRAIL_SOURCE_MARK}@*` } }
    : { StringEquals: { 'sts:ExternalId': trailSourceExternalId({ account: source.account, sourceId: source.id }) } };
  return {
    Sid: `RuntrailTrail${source.id}`,
    Effect: 'Allow',
    Principal: { AWS: `arn:${partitionOf(source.roleArn)}:iam::${input.platformAccountId}:root` },
    Action: 'sts:AssumeRole',
    Condition: condition,
  };
}

/**
 * The reader role's permission statements: `cloudtrail:LookupEvents` (which has no resource-level
 * permissions, hence `*`), plus, for S3 delivery, listing and reading under the bucket's prefix.
 */
export function trailSourcePermissionStatements(input: Pick<TrailSourceStatementInput, 'source'>): TrustStatement[] {
  const { source } = input;
  const statements: TrustStatement[] = [
    { Sid: 'RuntrailTrailLookup', Effect: 'Allow', Action: 'cloudtrail:LookupEvents', Resource: '*' },
  ];
  if (source.bucket) {
    const partition = partitionOf(source.roleArn);
    const prefix = source.prefix ?? '';
    statements.push(
      { Sid: 'RuntrailTrailRead', Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:${partition}:s3:::${source.bucket}/${prefix}*` },
      {
        Sid: 'RuntrailTrailList',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: `arn:${partition}:s3:::${source.bucket}`,
        ...(prefix ? { Condition: { StringLike: { 's3:prefix': `${prefix}*` } } } : {}),
      },
    );
  }
  return statements;
}
