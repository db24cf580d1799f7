import type { Response } from 'express';
import type { Page } from '../queries/cursor';

/** One CSV field (RFC 4180), with spreadsheet formula triggers neutralised. */
function field(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows as CSV with a header line. */
export function toCsv<T extends object>(rows: T[], columns: Array<keyof T & string>): string {
  const lines = [columns.join(',')];
  for (const row of rows) lines.push(columns.map((c) => field(row[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * Answers a page as JSON (`{items, nextCursor}`) or CSV; either way the next page's cursor is
 * also in the `X-Next-Cursor` header, so a CSV export is paged like the JSON one.
 */
export function sendPage<T extends object>(response: Response, page: Page<T>, format: 'json' | 'csv', columns: Array<keyof T & string>, name: string): void {
  if (page.nextCursor) response.setHeader('X-Next-Cursor', page.nextCursor);
  if (format === 'json') {
    response.json(page);
    return;
  }
  response.setHeader('Content-Disposition', `attachment; filename="${name}.csv"`);
  response.type('text/csv').send(toCsv(page.items, columns));
}
