import { RuntrailError, type FieldIssue } from '@runtrail/contracts';

/**
 * The environment failed validation. `issues` holds one entry per problem (`path` is the variable
 * name); the message lists them all so one look at the log fixes every variable at once.
 */
export class ConfigError extends RuntrailError {
  constructor(readonly problems: FieldIssue[]) {
    super('VALIDATION_FAILED', formatProblems(problems), problems);
  }
}

function formatProblems(problems: FieldIssue[]): string {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return [`invalid environment (${count}):`, ...problems.map((p) => `  - ${p.path}: ${p.rule}`)].join('\n');
}
