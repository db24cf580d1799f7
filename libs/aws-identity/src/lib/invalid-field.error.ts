import { RuntrailError, type FieldIssue } from '@runtrail/contracts';

/** A `VALIDATION_FAILED` error for one or more fields, worded like `parseOrThrow`'s. */
export function invalidFields(what: string, issues: FieldIssue[]): RuntrailError {
  return new RuntrailError(
    'VALIDATION_FAILED',
    `invalid ${what}: ${issues.map((i) => `${i.path}: ${i.rule}`).join('; ')}`,
    issues,
  );
}

/** Throws a `VALIDATION_FAILED` error for one field. */
export function invalidField(path: string, rule: string): never {
  throw invalidFields(path, [{ path, rule }]);
}
