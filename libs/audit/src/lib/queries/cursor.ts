import { RuntrailError, text, type Page } from '@runtrail/contracts';

/** Position after the last row of a page: (time, id), the order every list is sorted in. */
export interface Cursor {
  t: number;
  id: string;
}

/** Opaque to clients: base64url of the position, so its format can change without breaking them. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.t, cursor.id])).toString('base64url');
}

const cursorId = text().min(1).max(256);

/** @throws RuntrailError `VALIDATION_FAILED` for a cursor this service did not hand out. */
export function decodeCursor(value: string | undefined): Cursor | null {
  if (!value) return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    // Only what encodeCursor writes reaches SQL: a safe integer time and a short id without NUL.
    if (Array.isArray(parsed) && Number.isSafeInteger(parsed[0]) && cursorId.safeParse(parsed[1]).success) return { t: parsed[0], id: parsed[1] };
  } catch {
    // fall through to the error below
  }
  throw new RuntrailError('VALIDATION_FAILED', 'cursor: not a cursor this API returned; pass nextCursor unchanged');
}

export type { Page };

/** Cuts the one extra row a query fetched to know whether another page exists. */
export function toPage<T>(rows: T[], limit: number, position: (row: T) => Cursor): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(position(last)) : null };
}

/**
 * Keyset condition for a `(time, id)` order: stable under inserts and as fast on page 1,000 as on
 * page 1 (an offset would scan every skipped row). Written as OR so both drivers use the index.
 */
export function after(cursor: Cursor | null, timeColumn: string, idColumn: string, descending: boolean): { sql: string; params: Array<string | number> } {
  if (!cursor) return { sql: '1 = 1', params: [] };
  const op = descending ? '<' : '>';
  return {
    sql: `("${timeColumn}" ${op} ? or ("${timeColumn}" = ? and "${idColumn}" ${op} ?))`,
    params: [cursor.t, cursor.t, cursor.id],
  };
}
