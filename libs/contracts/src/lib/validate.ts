import type { z } from 'zod';
import { RuntrailError, type FieldIssue } from './errors';

/**
 * Zod issues as `{ path, rule }` pairs, the shape every error in runtrail uses. A field that is not
 * allowed is named itself (`account: is not a field here`), not its parent object.
 */
export function toFieldIssues(error: z.ZodError): FieldIssue[] {
  const joined = (path: PropertyKey[]) => (path.length ? path.map(String).join('.') : '(root)');
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: joined([...issue.path, key]), rule: 'is not a field here' }))
      : [{ path: joined(issue.path), rule: issue.message }],
  );
}

/** Parses `value` with `schema`, or throws a VALIDATION_FAILED {@link RuntrailError} naming every bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = toFieldIssues(result.error);
  const summary = issues.map((i) => `${i.path}: ${i.rule}`).join('; ');
  throw new RuntrailError('VALIDATION_FAILED', `invalid ${what}: ${summary}`, issues);
}
