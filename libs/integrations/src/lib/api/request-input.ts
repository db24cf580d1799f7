import { parseOrThrow, RuntrailError } from '@runtrail/contracts';
import type { z } from 'zod';

/**
 * Parses a request body/query with a schema of api.schemas.ts (`VALIDATION_FAILED` names every bad
 * field). A body that was not sent (`undefined`: the body parser saw none) is a 400 of its own, so a
 * PATCH without one is never an empty update.
 */
export function input<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  if (value === undefined)
    throw new RuntrailError(
      'VALIDATION_FAILED',
      `invalid ${what}: the request has no body; send a JSON object with Content-Type: application/json`,
      [{ path: '(body)', rule: 'is required' }],
    );
  return parseOrThrow(schema, value, what);
}

/** @throws RuntrailError `NOT_FOUND` in the words a user expects. */
export function notFound(what: string): never {
  throw new RuntrailError('NOT_FOUND', `${what} does not exist or is not visible to this API key`);
}

/** Opaque paging cursor: the last id of the previous page. */
export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | null {
  if (cursor === undefined) return null;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) {
    throw new RuntrailError('VALIDATION_FAILED', 'invalid cursor', [
      { path: 'cursor', rule: 'must be a nextCursor this API returned' },
    ]);
  }
  return id;
}

/** `?label=a&label=b` as a list (every one must be present). */
export function labelFilter(label: string | string[] | undefined): string[] {
  if (label === undefined) return [];
  return Array.isArray(label) ? label : [label];
}
