import type { z } from 'zod';
import type { FieldIssue } from '@runtrail/contracts';
import { ConfigError } from './config.error';
import { safeRule, showValue } from './secret-value.redaction';

/** An environment as `process.env` holds it. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Validates the environment once, at start, into `schema`'s typed output.
 *
 * A variable set to the empty string counts as unset: compose files and Kubernetes manifests write
 * `VAR=` to mean "not configured", and optional variables and defaults should treat it so.
 *
 * @throws ConfigError listing every missing or bad variable by name and rule, never showing the
 *   value of one whose name looks secret.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: Env = process.env): z.output<S> {
  const input = withoutEmpty(env);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(problemsOf(result.error, input));
}

/** What {@link loadConfigOrExit} needs of the process; a seam for tests. */
export interface ExitIo {
  writeError(text: string): void;
  exit(code: number): never;
}

const processIo: ExitIo = {
  writeError: (text) => process.stderr.write(text),
  exit: (code) => process.exit(code),
};

/**
 * {@link loadConfig} for an app's `main.ts`: on a bad environment, prints every problem to stderr and
 * exits with code 1 instead of starting half-configured.
 */
export function loadConfigOrExit<S extends z.ZodType>(
  schema: S,
  appName: string,
  env: Env = process.env,
  io: ExitIo = processIo,
): z.output<S> {
  try {
    return loadConfig(schema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.writeError(`${appName}: ${error.message}\n`);
    return io.exit(1);
  }
}

function withoutEmpty(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && value !== '') out[name] = value;
  return out;
}

function problemsOf(error: z.ZodError, input: Record<string, string>): FieldIssue[] {
  return error.issues.map((issue) => {
    const [first, ...rest] = issue.path.map(String);
    const name = first ?? '(root)';
    const path = [name, ...rest].join('.');
    const value = first === undefined ? undefined : input[first];
    if (value === undefined)
      return { path, rule: issue.code === 'invalid_type' ? 'is required' : issue.message };
    const shown = showValue(name, value);
    const rule = safeRule(name, value, issue.message);
    return { path, rule: shown === null ? rule : `${rule} (got ${shown})` };
  });
}
