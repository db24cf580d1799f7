import { externalId, partitionOf } from '@runtrail/aws-identity';
import type { Subject } from './verification.subject';

/**
 * The statement that makes a role safe for runtrail's platform mode: only runtrail's platform
 * account, only with this integration's external ids, and the session features runtrail uses.
 */
export function platformStatement(subject: Subject, platformAccountId: string): Record<string, unknown> {
  const { integration } = subject;
  const partition = partitionOf(integration.roleArn);
  const condition = subject.probing
    ? { StringLike: { 'sts:ExternalId': `${integration.account}@${integration.id}@*` } }
    : {
        StringEquals: {
          'sts:ExternalId': subject.scopes.map((scope) =>
            externalId({
              account: integration.account,
              integrationId: integration.id,
              callerSlug: subject.caller.slug,
              scope,
            }),
          ),
        },
      };
  return {
    Sid: `Runtrail${integration.id}`,
    Effect: 'Allow',
    Principal: { AWS: `arn:${partition}:iam::${platformAccountId}:root` },
    Action: [
      'sts:AssumeRole',
      'sts:SetSourceIdentity',
      ...(integration.sessionTagging ? ['sts:TagSession'] : []),
    ],
    Condition: condition,
  };
}

/** The statement for OIDC mode: runtrail's issuer as a federated principal, pinned to the caller's `sub`. */
export function oidcStatement(
  subject: Subject,
  providerArn: string,
  providerHostPath: string,
  audience: string,
): Record<string, unknown> {
  const { caller } = subject;
  const sub = subject.probing
    ? `space:*:*:*:run_type:*:scope:*`
    : `space:${caller.spaceId}:${caller.type}:${caller.id}:run_type:*:scope:${subject.scopes.length === 1 ? subject.scopes[0] : '*'}`;
  return {
    Sid: `RuntrailOidc${subject.integration.id}`,
    Effect: 'Allow',
    Principal: { Federated: providerArn },
    Action: [
      'sts:AssumeRoleWithWebIdentity',
      'sts:SetSourceIdentity',
      ...(subject.integration.sessionTagging ? ['sts:TagSession'] : []),
    ],
    Condition: {
      StringEquals: { [`${providerHostPath}:aud`]: audience },
      StringLike: { [`${providerHostPath}:sub`]: sub },
    },
  };
}
