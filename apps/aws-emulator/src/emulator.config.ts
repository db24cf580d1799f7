import { z } from 'zod';
import { envBoolean, envInt, loadConfig, type Env } from '@runtrail/config';

/** Flags and the environment variables they stand for; a flag wins over its variable. */
export const FLAGS: Readonly<Record<string, string>> = {
  '--port': 'AWS_EMULATOR_PORT',
  '--host': 'AWS_EMULATOR_HOST',
  '--seed': 'AWS_EMULATOR_SEED',
  '--trail-dir': 'AWS_EMULATOR_TRAIL_DIR',
  '--flush-interval-ms': 'AWS_EMULATOR_FLUSH_INTERVAL_MS',
  '--snapshot': 'AWS_EMULATOR_SNAPSHOT',
  '--lookup-throttle': 'AWS_EMULATOR_LOOKUP_THROTTLE',
  '--delivery-delay-ms': 'AWS_EMULATOR_DELIVERY_DELAY_MS',
  '--faults': 'AWS_EMULATOR_FAULTS',
};

const faultsJson = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.issues.push({ code: 'custom', message: 'must be a JSON list of fault rules', input: text });
    return z.NEVER;
  }
});

const emulatorEnvSchema = z.object({
  AWS_EMULATOR_PORT: envInt({ min: 0, max: 65535 }).default(4566),
  AWS_EMULATOR_HOST: z.string().default('127.0.0.1'),
  AWS_EMULATOR_SEED: z.string().default('deploy/emulator/seed.json'),
  AWS_EMULATOR_TRAIL_DIR: z.string().optional(),
  AWS_EMULATOR_FLUSH_INTERVAL_MS: envInt({ min: 10, max: 3_600_000 }).default(5000),
  AWS_EMULATOR_SNAPSHOT: z.string().optional(),
  AWS_EMULATOR_LOOKUP_THROTTLE: envBoolean().default(false),
  AWS_EMULATOR_DELIVERY_DELAY_MS: envInt({ min: 0, max: 3_600_000 }).default(0),
  AWS_EMULATOR_FAULTS: faultsJson.optional(),
});

export type EmulatorConfig = z.output<typeof emulatorEnvSchema>;

export const USAGE = `Usage: node dist/apps/aws-emulator/src/main.js [--port 4566] [--host 127.0.0.1] [--seed deploy/emulator/seed.json]
         [--trail-dir <dir>] [--flush-interval-ms 5000] [--snapshot <file>] [--lookup-throttle]
         [--delivery-delay-ms 0] [--faults '<json rules>']
Each flag may also be set by its environment variable: ${Object.values(FLAGS).join(', ')}.`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Merges flags over the environment and validates the result (throws ConfigError / UsageError). */
export function readEmulatorConfig(argv: readonly string[], env: Env): EmulatorConfig {
  const merged: Record<string, string | undefined> = { ...env };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const variable = FLAGS[flag];
    if (!variable) throw new UsageError(`unknown argument ${argv[i]}`);
    if (
      flag === '--lookup-throttle' &&
      inline === undefined &&
      (argv[i + 1] === undefined || argv[i + 1].startsWith('--'))
    ) {
      merged[variable] = 'true';
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    merged[variable] = value;
  }
  return loadConfig(emulatorEnvSchema, merged);
}
