import type { z } from 'zod';
import { RuntrailError, type FieldIssue } from './errors';

/** Zod issues as `{ path, rule }` pairs, the shape every error in runtrail uses. */
export function toFieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.length ? issue.path.map(String).join('.') : '(root)',
    rule: issue.message,
  }));
}

/** Parses `value` with `schema`, or throws a VALIDATION_FAILED {@link RuntrailError} naming every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = toFieldIssues(result.error);
  const summary = issues.map((i) => `${i.path}: ${i.rule}`).join('; ');
  throw new RuntrailError('VALIDATION_FAILED', `invalid ${what}: ${summary}`, issues);
}
