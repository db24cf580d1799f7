import type { EntityManager } from '@mikro-orm/core';
import type { VerifyRoleReply } from '@runtrail/contracts';
import { autoattachLabels, integrationSnapshot } from '../aws-integrations/integration.view';
import type { ChangeActor } from '../outbox/admin-event';
import type { SpaceTree } from '../spaces/space-tree';
import { Attachment } from '../storage/attachment.entity';
import { Caller } from '../storage/caller.entity';
import { AwsIntegration } from '../storage/integration.entity';
import type { VerificationClient } from '../verification/verification.client';
import { attach, detach } from './attachment.writes';
import { verifiedCaller } from './verified-attachments';

// Autoattach: an integration labelled `autoattach:<label>` is attached (read and write) to every
// caller carrying `<label>` in the integration's space or below it, once the verifier found the
// role safe for that caller; when either side loses the label, the attachments autoattach made go
// away again. Manual attachments are never touched. Each change is recorded against the key whose
// change (a caller's or an integration's labels or space) caused it.
//
// Verification talks to AWS, so it runs before the transaction: `planAutoattach` verifies the pairs
// a change would attach, and the reconcile functions inside the transaction attach only those.

/** The integration side of a pair as autoattach reads it (a stored row, or one about to be saved). */
type AutoattachIntegration = Pick<AwsIntegration, 'id' | 'account' | 'spaceId' | 'labels'>;
type AutoattachCaller = Pick<Caller, 'id' | 'spaceId' | 'labels'>;

/** The label that makes `integration` apply to `caller`, or null. */
function matchingLabel(
  integration: AutoattachIntegration,
  caller: AutoattachCaller,
  tree: SpaceTree,
): string | null {
  if (!tree.ancestorsOf(caller.spaceId).includes(integration.spaceId)) return null;
  return autoattachLabels(integration.labels).find((label) => caller.labels.includes(label)) ?? null;
}

const pairKey = (integrationId: string, callerId: string) => `${integrationId}:${callerId}`;

/** A pair autoattach would attach but the verifier refused (nothing is attached for it). */
export interface RefusedAutoattach {
  integrationId: string;
  callerId: string;
  callerSlug: string;
  verification: VerifyRoleReply;
}

/** Which new autoattach pairs were verified safe, and which were refused with their verdicts. */
export interface AutoattachPlan {
  verified: ReadonlySet<string>;
  refused: RefusedAutoattach[];
}

/**
 * Verifies every pair that would be newly autoattached if `integrations` and `callers` were saved
 * as given (the proposed rows may not be stored yet), each for its caller with read and write.
 */
export async function planAutoattach(
  em: EntityManager,
  verification: VerificationClient,
  tree: SpaceTree,
  integrations: AwsIntegration[],
  callers: Caller[],
): Promise<AutoattachPlan> {
  const existing = new Set(
    (await em.find(Attachment, { integrationId: { $in: integrations.map((i) => i.id) } })).map((a) =>
      pairKey(a.integrationId, a.callerId),
    ),
  );
  const pairs = integrations.flatMap((integration) =>
    callers
      .filter(
        (caller) =>
          matchingLabel(integration, caller, tree) && !existing.has(pairKey(integration.id, caller.id)),
      )
      .map((caller) => ({ integration, caller })),
  );
  const verified = new Set<string>();
  const refused: RefusedAutoattach[] = [];
  const verdicts = await verification.verdictsOf(em, pairs, ({ integration, caller }) => ({
    integration: integrationSnapshot(integration),
    attachment: { caller: verifiedCaller(caller), read: true, write: true },
  }));
  for (const {
    item: { integration, caller },
    verdict,
  } of verdicts) {
    if (verdict.safe) verified.add(pairKey(integration.id, caller.id));
    else
      refused.push({
        integrationId: integration.id,
        callerId: caller.id,
        callerSlug: caller.slug,
        verification: verdict,
      });
  }
  return { verified, refused };
}

/** Brings `caller`'s autoattach attachments in line with the account's integrations. */
export async function reconcileCaller(
  em: EntityManager,
  actor: ChangeActor,
  caller: Caller,
  tree: SpaceTree,
  plan: AutoattachPlan,
): Promise<void> {
  const integrations = await em.find(AwsIntegration, { account: caller.account });
  const existing = await em.find(Attachment, { callerId: caller.id });
  for (const integration of integrations) {
    const current = existing.find((a) => a.integrationId === integration.id);
    reconcilePair(em, actor, integration, caller, tree, current, plan);
  }
}

/** Brings `integration`'s autoattach attachments in line with the account's callers. */
export async function reconcileIntegration(
  em: EntityManager,
  actor: ChangeActor,
  integration: AwsIntegration,
  tree: SpaceTree,
  plan: AutoattachPlan,
): Promise<void> {
  const callers = await em.find(Caller, { account: integration.account });
  const existing = await em.find(Attachment, { integrationId: integration.id });
  for (const caller of callers) {
    const current = existing.find((a) => a.callerId === caller.id);
    reconcilePair(em, actor, integration, caller, tree, current, plan);
  }
}

function reconcilePair(
  em: EntityManager,
  actor: ChangeActor,
  integration: AwsIntegration,
  caller: Caller,
  tree: SpaceTree,
  current: Attachment | undefined,
  plan: AutoattachPlan,
): void {
  const label = matchingLabel(integration, caller, tree);
  if (!current && label && plan.verified.has(pairKey(integration.id, caller.id)))
    attach(em, actor, integration.id, caller, { read: true, write: true }, label);
  if (current?.autoattachLabel && !label) detach(em, actor, current, caller.spaceId);
}
