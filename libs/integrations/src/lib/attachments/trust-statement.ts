import { partitionOf } from '@runtrail/aws-identity';
import type { AwsIntegration } from '../storage/integration.entity';

/**
 * The trust-policy statement that lets runtrail's platform account assume the role for exactly
 * these external ids (and nothing else), with the session features runtrail uses.
 */
export function assumeRolePolicyStatement(
  integration: AwsIntegration,
  platformAccountId: string,
  externalIds: string[],
) {
  const partition = partitionOf(integration.roleArn);
  // SourceIdentity (the run id) is always set; session tags only when the integration opts in.
  const actions = [
    'sts:AssumeRole',
    'sts:SetSourceIdentity',
    ...(integration.sessionTagging ? ['sts:TagSession'] : []),
  ];
  return {
    Sid: `Runtrail${integration.id}`,
    Effect: 'Allow',
    Principal: { AWS: `arn:${partition}:iam::${platformAccountId}:root` },
    Action: actions,
    Condition: {
      StringEquals: { 'sts:ExternalId': externalIds.length === 1 ? externalIds[0] : externalIds },
    },
  };
}
