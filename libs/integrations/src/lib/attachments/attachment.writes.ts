import type { EntityManager } from '@mikro-orm/core';
import { ulid } from 'ulid';
import { attachmentPayload } from '../aws-integrations/integration.view';
import { enqueue } from '../outbox/outbox';
import { Attachment } from '../storage/attachment.entity';
import type { Caller } from '../storage/caller.entity';

/** Creates an attachment and enqueues `integrations.v1.attached` in the same transaction. */
export function attach(
  em: EntityManager,
  account: string,
  integrationId: string,
  caller: Caller,
  scopes: { read: boolean; write: boolean },
  autoattachLabel: string | null,
): Attachment {
  const row = em.create(Attachment, {
    id: ulid(),
    account,
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
  return row;
}

/** Removes an attachment and enqueues `integrations.v1.detached` (with a new version, so its msg id is new). */
export function detach(em: EntityManager, row: Attachment): void {
  row.version += 1;
  enqueue(em, { kind: 'attachment', payload: { type: 'detached', attachment: attachmentPayload(row) } });
  em.remove(row);
}
