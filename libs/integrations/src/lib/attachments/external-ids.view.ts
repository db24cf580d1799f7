import {
  oidcAudienceOf,
  oidcIssuerOf,
  oidcTrustStatement,
  platformTrustStatement,
  type TrustStatement,
} from '@runtrail/aws-identity';
import type { Scope } from '@runtrail/contracts';
import type { AwsIntegration } from '../storage/integration.entity';
import { externalIdFor } from './attachment-external-ids';

/** What Spacelift's `spacelift_aws_integration_attachment_external_id` data source answers. */
export interface ExternalIdsView {
  read: string;
  write: string;
  /** The statement as a JSON string, ready for Terraform's `jsondecode` (null when unknown, see `note`). */
  assumeRolePolicyStatement: string | null;
  /** The same statement as an object. */
  statement: TrustStatement | null;
  /** Why there is no statement, when there is none. */
  note?: string;
}

/** What the OIDC statement needs besides the integration and caller: the issuer's URL and audience. */
export interface OidcContext {
  publicUrl: string;
  defaultAudience?: string;
  accountAudience: string | null;
}

/**
 * A caller's external ids for an integration and the trust-policy statement that allows exactly
 * the enabled scopes, with only the session features the integration uses. The statement trusts
 * runtrail's platform account; in worker mode the worker's own identity assumes the role, so the
 * principal there is the worker's account, which runtrail does not know (replace it).
 */
export function externalIdsView(
  integration: AwsIntegration,
  caller: { account: string; callerSlug: string; type?: string; spaceId?: string },
  scopes: { read: boolean; write: boolean },
  platformAccountId: string,
  oidc?: OidcContext | null,
): ExternalIdsView {
  const ids: Record<Scope, string> = {
    read: externalIdFor(integration, caller, 'read'),
    write: externalIdFor(integration, caller, 'write'),
  };
  if (integration.mode === 'oidc') return { ...ids, ...oidcStatementFor(integration, caller, scopes, oidc) };
  const enabled = [...new Set([...(scopes.read ? [ids.read] : []), ...(scopes.write ? [ids.write] : [])])];
  const statement = platformTrustStatement({ integration, platformAccountId, externalIds: enabled });
  return { ...ids, assumeRolePolicyStatement: JSON.stringify(statement), statement };
}

/**
 * OIDC mode trusts runtrail's issuer, not its platform account: the statement pins `aud` and the
 * caller's `sub` (seed 003). It needs the issuer's URL, which integrations knows only when
 * `OIDC_PUBLIC_URL` is set for it too.
 */
function oidcStatementFor(
  integration: AwsIntegration,
  caller: { account: string; callerSlug: string; type?: string; spaceId?: string },
  scopes: { read: boolean; write: boolean },
  oidc: OidcContext | null | undefined,
): Pick<ExternalIdsView, 'assumeRolePolicyStatement' | 'statement' | 'note'> {
  if (!oidc || !caller.type || !caller.spaceId) {
    return {
      assumeRolePolicyStatement: null,
      statement: null,
      note: "an OIDC-mode role trusts runtrail's issuer, whose URL this service was not given (set OIDC_PUBLIC_URL for it); attaching answers the statement to paste when the role refuses",
    };
  }
  const statement = oidcTrustStatement({
    integration,
    caller: { type: caller.type, slug: caller.callerSlug, spaceId: caller.spaceId },
    scopes: [...(scopes.read ? ['read'] : []), ...(scopes.write ? ['write'] : [])],
    issuer: oidcIssuerOf(oidc.publicUrl, caller.account),
    audience: oidcAudienceOf(oidc.publicUrl, oidc.accountAudience, oidc.defaultAudience),
  });
  return { assumeRolePolicyStatement: JSON.stringify(statement), statement };
}
