import type { EntityManager } from '@mikro-orm/core';
import { notFound } from '../api/request-input';
import type { Principal } from '../auth/principal';
import { Attachment } from '../storage/attachment.entity';
import { Caller } from '../storage/caller.entity';

/** The attachment `id` of the caller's account, if the key may see its caller (else `NOT_FOUND`). */
export async function visibleAttachment(em: EntityManager, p: Principal, id: string): Promise<Attachment> {
  const row = await em.findOne(Attachment, { id, account: p.account });
  const caller = row ? await em.findOne(Caller, { id: row.callerId }) : null;
  if (!row || !caller || !p.canSee(caller.spaceId)) notFound(`attachment ${id}`);
  return row;
}
