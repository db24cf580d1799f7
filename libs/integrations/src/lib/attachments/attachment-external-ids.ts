import { externalId } from '@runtrail/aws-identity';
import type { Scope } from '@runtrail/contracts';
import type { Attachment } from '../storage/attachment.entity';
import type { AwsIntegration } from '../storage/integration.entity';

/** The external id runtrail passes for this attachment and scope (the custom one in worker mode when set). */
export function externalIdFor(
  integration: AwsIntegration,
  attachment: Pick<Attachment, 'account' | 'callerSlug'>,
  scope: Scope,
): string {
  if (integration.mode === 'worker' && integration.customExternalId) return integration.customExternalId;
  return externalId({
    account: attachment.account,
    integrationId: integration.id,
    callerSlug: attachment.callerSlug,
    scope,
  });
}
