import type { EntityManager } from '@mikro-orm/core';
import { ulid } from 'ulid';
import { attachmentPayload } from '../aws-integrations/integration.view';
import { recordAdminEvent, type AdminChange, type ChangeActor } from '../outbox/admin-event';
import { enqueue } from '../outbox/outbox';
import { Attachment } from '../storage/attachment.entity';
import type { Caller } from '../storage/caller.entity';

/**
 * Creates an attachment and enqueues `integrations.v1.attached` and its admin record (by `actor`,
 * the key whose change made it, autoattach included) in the same transaction.
 */
export function attach(
  em: EntityManager,
  actor: ChangeActor,
  integrationId: string,
  caller: Caller,
  scopes: { read: boolean; write: boolean },
  autoattachLabel: string | null,
): Attachment {
  const row = em.create(Attachment, {
    id: ulid(),
    account: actor.account,
    integrationId,
    callerId: caller.id,
    callerType: caller.type,
    callerSlug: caller.slug,
    read: scopes.read,
    write: scopes.write,
    autoattachLabel,
    version: 1,
  });
  enqueue(em, { kind: 'attachment', payload: { type: 'attached', attachment: attachmentPayload(row) } });
  recordAdminEvent(em, actor, {
    action: 'attachment.created',
    ...adminTarget(row, caller.spaceId),
    autoattachLabel,
  });
  return row;
}

/**
 * Removes an attachment and enqueues `integrations.v1.detached` (with a new version, so its msg id
 * is new) and its admin record. `callerSpaceId`: the space of the attached caller, where the
 * attachment is visible.
 */
export function detach(em: EntityManager, actor: ChangeActor, row: Attachment, callerSpaceId: string): void {
  row.version += 1;
  enqueue(em, { kind: 'attachment', payload: { type: 'detached', attachment: attachmentPayload(row) } });
  recordAdminEvent(em, actor, {
    action: 'attachment.removed',
    ...adminTarget(row, callerSpaceId),
    autoattachLabel: row.autoattachLabel,
  });
  em.remove(row);
}

/** An attachment as admin records name it: seen where its caller is. */
export function adminTarget(row: Attachment, callerSpaceId: string): Pick<AdminChange, 'target' | 'spaceId'> {
  return { target: { type: 'attachment', id: row.id, name: row.callerSlug }, spaceId: callerSpaceId };
}
