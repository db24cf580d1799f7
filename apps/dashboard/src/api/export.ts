import { request, withQuery, type Query } from './client';

/** Pages an export follows at most (a page is up to 1,000 rows). */
const MAX_PAGES = 100;

/**
 * Downloads a whole list through the API's own export: `format=csv` (or json) page after page,
 * following `X-Next-Cursor`, as one file. The key stays in the request header; the browser gets a
 * blob, never a URL with the key.
 */
export async function exportList(path: string, query: Query, format: 'csv' | 'json', name: string): Promise<void> {
  const csv: string[] = [];
  const items: unknown[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const response = await request(withQuery(path, { ...query, cursor, limit: 1000, format }));
    if (format === 'csv') {
      const text = await response.text();
      csv.push(page === 0 ? text : text.slice(text.indexOf('\n') + 1));
    } else {
      items.push(...((await response.json()) as { items: unknown[] }).items);
    }
    cursor = response.headers.get('X-Next-Cursor');
    if (!cursor) break;
  }
  const blob =
    format === 'csv' ? new Blob(csv, { type: 'text/csv' }) : new Blob([JSON.stringify(items, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `${name}.${format}`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
