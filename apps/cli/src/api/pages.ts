import type { Page } from '@runtrail/contracts';
import type { CliIo } from '../output/cli-io';

/** Largest page the APIs hand out. */
export const MAX_PAGE = 1000;

/**
 * Follows `nextCursor` until the list ends or `max` items are in, reporting "fetched N <noun>" on
 * stderr when it is a terminal and more than one page was needed.
 */
export async function fetchAll<T>(
  // A list that is never paged answers without a nextCursor: treated as the last page.
  fetchPage: (
    cursor: string | undefined,
    limit: number,
  ) => Promise<Omit<Page<T>, 'nextCursor'> & { nextCursor?: string | null }>,
  options: { max?: number; noun: string; io: CliIo },
): Promise<Page<T>> {
  const { max = Infinity, noun, io } = options;
  const items: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await fetchPage(cursor, Math.min(MAX_PAGE, max - items.length));
    items.push(...page.items);
    pages++;
    const next = page.nextCursor ?? null;
    const more = next !== null && items.length < max;
    if (io.progress && (pages > 1 || more))
      io.stderr(`\rfetched ${items.length} ${noun}${more ? '…' : ''}   `);
    if (!more) {
      if (io.progress && pages > 1) io.stderr('\n');
      return { items, nextCursor: items.length >= max ? next : null };
    }
    cursor = next ?? undefined;
  }
}
