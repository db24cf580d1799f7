import { accountOfArn, partitionOf, type TrustStatement } from '@runtrail/aws-identity';
import type { Subject } from '../checks/verification.subject';

/**
 * Where the caller's slug goes in the statement for an integration verified without a caller:
 * there is no slug to pin yet, and a wildcard there would let every stack and module of the
 * account in. Left as is, it matches no token, so the statement is safe before it is completed.
 */
export const CALLER_SLUG_PLACEHOLDER = '<stack-or-module-slug>';

/** The issuer and audience of a token the verifier got, which the statement pins. */
export interface IssuedFor {
  issuer: string;
  audience: string;
}

/**
 * The statement for OIDC mode: runtrail's per-account issuer as the federated principal, `aud`
 * pinned to the audience the tokens actually carry and `sub` to the caller, in seed 003's format:
 * `space:<spaceId>:<type>:<slug>:run_type:*:scope:<scope, or * for both>`. Only the session
 * features the integration uses are allowed; a single action is a string, as in the seeds.
 */
export function oidcStatement(subject: Subject, issued: IssuedFor): TrustStatement {
  const { integration, caller } = subject;
  const url = new URL(issued.issuer);
  const hostPath = `${url.host}${url.pathname.replace(/\/+$/, '')}`;
  const providerArn = `arn:${partitionOf(integration.roleArn)}:iam::${accountOfArn(integration.roleArn)}:oidc-provider/${hostPath}`;
  const scope = subject.scopes.length === 1 ? subject.scopes[0] : '*';
  const sub = caller
    ? `space:${caller.spaceId}:${caller.type}:${caller.slug}:run_type:*:scope:${scope}`
    : `space:${integration.spaceId}:*:${CALLER_SLUG_PLACEHOLDER}:run_type:*:scope:*`;
  const actions = [
    'sts:AssumeRoleWithWebIdentity',
    ...(integration.sourceIdentity ? ['sts:SetSourceIdentity'] : []),
    ...(integration.sessionTagging ? ['sts:TagSession'] : []),
  ];
  return {
    Sid: `RuntrailOidc${integration.id}`,
    Effect: 'Allow',
    Principal: { Federated: providerArn },
    Action: actions.length === 1 ? actions[0] : actions,
    Condition: {
      StringEquals: { [`${hostPath}:aud`]: issued.audience },
      StringLike: { [`${hostPath}:sub`]: sub },
    },
  };
}
