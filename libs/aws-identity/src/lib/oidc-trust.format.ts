import { accountOfArn, partitionOf } from './arn.parser';
import type { TrustStatement } from './trust-statement.format';

/**
 * Where the caller's slug goes in the statement for an integration without a caller: there is no
 * slug to pin yet, and a wildcard there would let every stack and module of the account in. Left as
 * is, it matches no token, so the statement is safe before it is completed.
 */
export const CALLER_SLUG_PLACEHOLDER = '<stack-or-module-slug>';

/** runtrail's issuer for `account`: `<OIDC_PUBLIC_URL>/oidc/<account>`. */
export function oidcIssuerOf(publicUrl: string, account: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/oidc/${account}`;
}

/**
 * The `aud` of an account's tokens: the account's own setting, else the operator's
 * `OIDC_DEFAULT_AUDIENCE`, else the host name of `OIDC_PUBLIC_URL` (as Spacelift uses its host name).
 */
export function oidcAudienceOf(
  publicUrl: string,
  accountAudience: string | null | undefined,
  defaultAudience?: string,
): string {
  return accountAudience ?? defaultAudience ?? new URL(publicUrl).hostname;
}

/** What decides the trust-policy statement for OIDC mode. */
export interface OidcTrustStatementInput {
  integration: {
    id: string;
    roleArn: string;
    spaceId: string;
    sourceIdentity: boolean;
    sessionTagging: boolean;
  };
  /** The caller the role is for; null: any caller of the integration's space, slug left to fill in. */
  caller: { type: string; slug: string; spaceId: string } | null;
  /** The scopes allowed (both when empty or both given). */
  scopes: readonly string[];
  issuer: string;
  audience: string;
}

/**
 * The statement for OIDC mode: runtrail's per-account issuer as the federated principal, `aud`
 * pinned to the audience the tokens carry and `sub` to the caller, in seed 003's format
 * `space:<spaceId>:<type>:<slug>:run_type:*:scope:<scope, or * for both>`. Only the session
 * features the integration uses are allowed; a single action is a string, as in the seeds.
 */
export function oidcTrustStatement(input: OidcTrustStatementInput): TrustStatement {
  const { integration, caller } = input;
  const url = new URL(input.issuer);
  const hostPath = `${url.host}${url.pathname.replace(/\/+$/, '')}`;
  const providerArn = `arn:${partitionOf(integration.roleArn)}:iam::${accountOfArn(integration.roleArn)}:oidc-provider/${hostPath}`;
  const scope = input.scopes.length === 1 ? input.scopes[0] : '*';
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
      StringEquals: { [`${hostPath}:aud`]: input.audience },
      StringLike: { [`${hostPath}:sub`]: sub },
    },
  };
}
