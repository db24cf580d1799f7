import { partitionOf } from './arn.parser';

/** What decides the trust-policy statement for runtrail's platform identity. */
export interface PlatformTrustStatementInput {
  integration: {
    id: string;
    account: string;
    roleArn: string;
    sourceIdentity: boolean;
    sessionTagging: boolean;
  };
  platformAccountId: string;
  /**
   * The exact external ids to allow (one caller's enabled scopes). Empty: any caller of this
   * integration (`<account>@<integrationId>@*`), the "any stack" policy of Spacelift's docs.
   */
  externalIds: readonly string[];
}

/** One IAM policy statement, as the provider's `assume_role_policy_statement` is. */
export type TrustStatement = Record<string, unknown>;

/**
 * The statement that lets runtrail's platform account assume a role for exactly these external ids,
 * with only the session features the integration uses: `sts:AssumeRole`, plus
 * `sts:SetSourceIdentity` and `sts:TagSession` when those are on. A single action is written as a
 * string, as the seeds' policies are.
 */
export function platformTrustStatement(input: PlatformTrustStatementInput): TrustStatement {
  const { integration, externalIds } = input;
  const actions = [
    'sts:AssumeRole',
    ...(integration.sourceIdentity ? ['sts:SetSourceIdentity'] : []),
    ...(integration.sessionTagging ? ['sts:TagSession'] : []),
  ];
  const condition =
    externalIds.length === 0
      ? { StringLike: { 'sts:ExternalId': `${integration.account}@${integration.id}@*` } }
      : { StringEquals: { 'sts:ExternalId': externalIds.length === 1 ? externalIds[0] : [...externalIds] } };
  return {
    Sid: `Runtrail${integration.id}`,
    Effect: 'Allow',
    Principal: { AWS: `arn:${partitionOf(integration.roleArn)}:iam::${input.platformAccountId}:root` },
    Action: actions.length === 1 ? actions[0] : actions,
    Condition: condition,
  };
}
