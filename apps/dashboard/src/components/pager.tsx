import { Button, Group, Text } from '@mantine/core';
import { useState } from 'react';
import { getJson, type Query } from '../api/client';
import type { Page } from '../api/views';
import { useApi } from './use-api';

/**
 * Keyset paging as the API offers it: the next page is `nextCursor`; going back re-asks for a
 * cursor seen before (the cursors of the pages already visited are kept).
 */
export function useCursorPages(resetKey: string) {
  const [state, setState] = useState<{ key: string; cursors: Array<string | undefined> }>({ key: resetKey, cursors: [undefined] });
  const cursors = state.key === resetKey ? state.cursors : [undefined];
  return {
    cursor: cursors[cursors.length - 1],
    page: cursors.length,
    next: (cursor: string) => setState({ key: resetKey, cursors: [...cursors, cursor] }),
    previous: () => setState({ key: resetKey, cursors: cursors.slice(0, -1) }),
    first: () => setState({ key: resetKey, cursors: [undefined] }),
  };
}

export function Pager({ pages, nextCursor }: { pages: ReturnType<typeof useCursorPages>; nextCursor: string | null | undefined }) {
  return (
    <Group gap="xs" justify="flex-end" aria-label="pages">
      <Text size="sm">Page {pages.page}</Text>
      <Button size="xs" variant="default" disabled={pages.page === 1} onClick={pages.first}>
        First
      </Button>
      <Button size="xs" variant="default" disabled={pages.page === 1} onClick={pages.previous}>
        Previous
      </Button>
      <Button size="xs" variant="default" disabled={!nextCursor} onClick={() => nextCursor && pages.next(nextCursor)}>
        Next
      </Button>
    </Group>
  );
}

/** One page of an audit list (`{items, nextCursor}`) for `query`, and the paging over it. */
export function usePagedList<T>(path: string, query: Query, limit: number) {
  const key = JSON.stringify(query);
  const pages = useCursorPages(key);
  const list = useApi(() => getJson<Page<T>>(path, { ...query, cursor: pages.cursor, limit }), `${path}|${key}|${pages.cursor ?? ''}`);
  return { pages, list };
}
