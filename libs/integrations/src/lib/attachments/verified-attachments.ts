import type { EntityManager } from '@mikro-orm/core';
import { Attachment } from '../storage/attachment.entity';
import { Caller } from '../storage/caller.entity';
import type { VerifiedAttachment } from '../verification/verification.client';

/** A caller as verification needs it. */
export function verifiedCaller(caller: Caller): VerifiedAttachment['caller'] {
  return { type: caller.type, id: caller.id, slug: caller.slug, spaceId: caller.spaceId };
}

/** Every attachment of an integration with its caller, ready to verify (oldest first). */
export async function attachmentsToVerify(
  em: EntityManager,
  integrationId: string,
): Promise<VerifiedAttachment[]> {
  const attachments = await em.find(Attachment, { integrationId }, { orderBy: { id: 'asc' } });
  if (attachments.length === 0) return [];
  const callers = new Map(
    (await em.find(Caller, { id: { $in: attachments.map((a) => a.callerId) } })).map((c) => [c.id, c]),
  );
  return attachments.flatMap((a) => {
    const caller = callers.get(a.callerId);
    return caller ? [{ caller: verifiedCaller(caller), read: a.read, write: a.write }] : [];
  });
}
