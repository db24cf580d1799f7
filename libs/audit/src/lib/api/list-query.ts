import { parseOrThrow, text } from '@runtrail/contracts';
import { z } from 'zod';

/** Query parameters every list takes: paging and the export format. */
export const listQuery = z.object({
  cursor: text().max(512).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  format: z.enum(['json', 'csv']).default('json'),
});

export const timeRange = z.object({
  from: z.iso.datetime({ offset: true }).transform((s) => new Date(s)).optional(),
  to: z.iso.datetime({ offset: true }).transform((s) => new Date(s)).optional(),
});

/** Validates a query string; a bad parameter answers 400 naming it. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  return parseOrThrow(schema, query, 'query parameters');
}
