import type { EntityManager, EntityName, FilterQuery } from '@mikro-orm/core';
import type { Principal } from '../auth/principal';
import { decodeCursor, encodeCursor, labelFilter } from './request-input';

const SCAN = 200;

/**
 * A page of rows after `cursor` (ids ascending: ULIDs sort by creation), keeping only those `keep`
 * accepts. Label and space filters run here rather than in SQL because labels are a JSON array on
 * both drivers; rows are scanned in chunks, so a page costs a few queries, not a table read.
 */
async function pageOf<T extends { id: string }>(
  em: EntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  cursor: string | null,
  limit: number,
  keep: (row: T) => boolean,
): Promise<{ items: T[]; last: string | null }> {
  const items: T[] = [];
  let after = cursor;
  for (;;) {
    const filter = (after ? { $and: [where, { id: { $gt: after } }] } : where) as FilterQuery<T>;
    const chunk = (await em.find(entity, filter, { orderBy: { id: 'asc' } as never, limit: SCAN })) as T[];
    for (const row of chunk) {
      if (!keep(row)) continue;
      items.push(row);
      if (items.length === limit) return { items, last: row.id };
    }
    if (chunk.length < SCAN) return { items, last: null };
    after = chunk[chunk.length - 1]?.id ?? null;
  }
}

/**
 * A list endpoint's answer: the rows `keep` accepts after the request's cursor, each shown with
 * `view`, and the cursor of the next page (null on the last).
 */
export async function listPage<T extends { id: string }, V>(
  em: EntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  query: { cursor?: string; limit: number },
  keep: (row: T) => boolean,
  view: (row: T) => V,
): Promise<{ items: V[]; nextCursor: string | null }> {
  const page = await pageOf(em, entity, where, decodeCursor(query.cursor), query.limit, keep);
  return { items: page.items.map(view), nextCursor: page.last ? encodeCursor(page.last) : null };
}

/** Keeps the rows in a space `p` can see that carry every label of `?label=` (the list filter of labelled resources). */
export function visibleWithLabels(
  p: Principal,
  label: string | string[] | undefined,
): (row: { spaceId: string; labels: string[] }) => boolean {
  const wanted = labelFilter(label);
  return (row) => p.canSee(row.spaceId) && wanted.every((l) => row.labels.includes(l));
}
