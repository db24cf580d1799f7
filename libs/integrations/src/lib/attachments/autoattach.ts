import type { EntityManager } from '@mikro-orm/core';
import { autoattachLabels } from '../aws-integrations/integration.view';
import type { SpaceTree } from '../spaces/space-tree';
import { Attachment } from '../storage/attachment.entity';
import { Caller } from '../storage/caller.entity';
import { AwsIntegration } from '../storage/integration.entity';
import { attach, detach } from './attachment.writes';

// Autoattach: an integration labelled `autoattach:<label>` is attached (read and write) to every
// caller carrying `<label>` in the integration's space or below it; when either side loses the
// label, the attachments autoattach made go away again. Manual attachments are never touched.

/** The label that makes `integration` apply to `caller`, or null. */
function matchingLabel(integration: AwsIntegration, caller: Caller, tree: SpaceTree): string | null {
  if (!tree.ancestorsOf(caller.spaceId).includes(integration.spaceId)) return null;
  return autoattachLabels(integration.labels).find((label) => caller.labels.includes(label)) ?? null;
}

/** Brings `caller`'s autoattach attachments in line with the account's integrations. */
export async function reconcileCaller(em: EntityManager, caller: Caller, tree: SpaceTree): Promise<void> {
  const integrations = await em.find(AwsIntegration, { account: caller.account });
  const existing = await em.find(Attachment, { callerId: caller.id });
  for (const integration of integrations) {
    reconcilePair(
      em,
      integration,
      caller,
      tree,
      existing.find((a) => a.integrationId === integration.id),
    );
  }
}

/** Brings `integration`'s autoattach attachments in line with the account's callers. */
export async function reconcileIntegration(
  em: EntityManager,
  integration: AwsIntegration,
  tree: SpaceTree,
): Promise<void> {
  const callers = await em.find(Caller, { account: integration.account });
  const existing = await em.find(Attachment, { integrationId: integration.id });
  for (const caller of callers) {
    reconcilePair(
      em,
      integration,
      caller,
      tree,
      existing.find((a) => a.callerId === caller.id),
    );
  }
}

function reconcilePair(
  em: EntityManager,
  integration: AwsIntegration,
  caller: Caller,
  tree: SpaceTree,
  current: Attachment | undefined,
): void {
  const label = matchingLabel(integration, caller, tree);
  if (!current && label)
    attach(em, integration.account, integration.id, caller, { read: true, write: true }, label);
  if (current?.autoattachLabel && !label) detach(em, current);
}
