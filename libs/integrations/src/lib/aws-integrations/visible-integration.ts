import type { EntityManager } from '@mikro-orm/core';
import { notFound } from '../api/request-input';
import type { Principal } from '../auth/principal';
import { AwsIntegration } from '../storage/integration.entity';

/** The integration `id` of the caller's account, if the key may see its space (else `NOT_FOUND`). */
export async function visibleIntegration(
  em: EntityManager,
  p: Principal,
  id: string,
): Promise<AwsIntegration> {
  const row = await em.findOne(AwsIntegration, { id, account: p.account });
  if (!row || !p.canSee(row.spaceId)) notFound(`integration ${id}`);
  return row;
}
