import { platformTrustStatement, type TrustStatement } from '@runtrail/aws-identity';
import type { Scope } from '@runtrail/contracts';
import type { AwsIntegration } from '../storage/integration.entity';
import { externalIdFor } from './attachment-external-ids';

/** What Spacelift's `spacelift_aws_integration_attachment_external_id` data source answers. */
export interface ExternalIdsView {
  read: string;
  write: string;
  /** The statement as a JSON string, ready for Terraform's `jsondecode`. */
  assumeRolePolicyStatement: string;
  /** The same statement as an object. */
  statement: TrustStatement;
}

/**
 * A caller's external ids for an integration and the trust-policy statement that allows exactly
 * the enabled scopes, with only the session features the integration uses. The statement trusts
 * runtrail's platform account; in worker mode the worker's own identity assumes the role, so the
 * principal there is the worker's account, which runtrail does not know (replace it).
 */
export function externalIdsView(
  integration: AwsIntegration,
  caller: { account: string; callerSlug: string },
  scopes: { read: boolean; write: boolean },
  platformAccountId: string,
): ExternalIdsView {
  const ids: Record<Scope, string> = {
    read: externalIdFor(integration, caller, 'read'),
    write: externalIdFor(integration, caller, 'write'),
  };
  const enabled = [...new Set([...(scopes.read ? [ids.read] : []), ...(scopes.write ? [ids.write] : [])])];
  const statement = platformTrustStatement({ integration, platformAccountId, externalIds: enabled });
  return { ...ids, assumeRolePolicyStatement: JSON.stringify(statement), statement };
}
