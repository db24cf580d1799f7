import { externalId, platformTrustStatement, type TrustStatement } from '@runtrail/aws-identity';
import type { Subject } from './verification.subject';

/**
 * The statement that makes a role safe for runtrail's platform mode: only runtrail's platform
 * account, only with this caller's external ids (any caller of this integration when verified
 * without one), and only the session features the integration uses.
 */
export function platformStatement(subject: Subject, platformAccountId: string): TrustStatement {
  const { integration, caller } = subject;
  const externalIds = caller
    ? subject.scopes.map((scope) =>
        externalId({ account: integration.account, integrationId: integration.id, callerSlug: caller.slug, scope }),
      )
    : [];
  return platformTrustStatement({ integration, platformAccountId, externalIds });
}

/** The statement for OIDC mode: runtrail's issuer as a federated principal, pinned to the caller's `sub`. */
export function oidcStatement(
  subject: Subject,
  providerArn: string,
  providerHostPath: string,
  audience: string,
): Record<string, unknown> {
  const { caller } = subject;
  const sub = !caller
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
