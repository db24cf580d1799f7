import { parseArgs } from 'node:util';
import { hostname } from 'node:os';
import {
  callerSlug,
  phase,
  runType,
  spaceId,
  accountSlug,
  ulid,
  workerId,
  type Phase,
  type RunType,
  type CallerRef,
} from '@runtrail/contracts';
import { envUrl } from '@runtrail/config';
import { z } from 'zod';
import { apiConnectionOf } from '../api/runtrail-api.client';
import { NATS_FLAGS, NATS_USAGE, natsLoginOf, type NatsLogin } from '../nats/nats-login';

/** `runtrail exec` once its flags and environment are validated. */
export interface ExecOptions {
  runId: string;
  workerId: string;
  /** How to log in: the worker pool's NATS user (deploy/nats/auth.conf), or none on an open server. */
  nats: NatsLogin;
  /** For worker mode: STS endpoint override (`AWS_ENDPOINT_URL`), as the AWS CLI and SDKs read it. */
  awsEndpointUrl?: string;
  /** The phase whose credentials the command gets (any phase's first delivery when absent). */
  phase?: Phase;
  integrationId?: string;
  timeoutMs: number;
  /** Refresh this long before expiry (default: 5 minutes, or a third of the lifetime when shorter). */
  refreshLeadMs?: number;
  /** Export only the container-credentials endpoint, not the key variables (see README). */
  containerOnly: boolean;
  /**
   * Act as the scheduler: drive the run's phases through the runs API around the command. Account
   * and space are runtrail's (the registry's); the flags only cross-check them.
   */
  publish?: {
    /** `RUNTRAIL_URL`: the integrations service's REST API. */
    apiUrl: string;
    /** `RUNTRAIL_API_KEY`: a scheduler (or admin) key of the caller's account. */
    apiKey: string;
    account?: string;
    spaceId?: string;
    caller: { type: CallerRef['type']; id: string; slug?: string };
    runType: RunType;
  };
  command: string[];
}

export const EXEC_USAGE = `usage: runtrail exec --run <runId> [--worker <id>] [--phase PLANNING|APPLYING|PERFORMING]
                    [--integration <id>] [--timeout <seconds>] [--refresh-lead <seconds>] [--container-only]
                    [--publish-phases --stack <id>|--module <id> [--run-type TRACKED|PROPOSED|TASK|TESTING|DESTROY]
                     [--account <slug>] [--space <id>] [--caller-slug <slug>]]
  --publish-phases drives the run through the runs API: RUNTRAIL_URL (default http://127.0.0.1:8080)
  and RUNTRAIL_API_KEY (a scheduler or admin key); account, space and slug come from runtrail.
                    ${NATS_USAGE.replace(/\n/g, '\n                    ')}
                    -- <command> [args...]`;

const flags = {
  run: { type: 'string' },
  worker: { type: 'string' },
  ...NATS_FLAGS,
  phase: { type: 'string' },
  integration: { type: 'string' },
  timeout: { type: 'string' },
  'refresh-lead': { type: 'string' },
  'container-only': { type: 'boolean' },
  'publish-phases': { type: 'boolean' },
  account: { type: 'string' },
  space: { type: 'string' },
  stack: { type: 'string' },
  module: { type: 'string' },
  'caller-slug': { type: 'string' },
  'run-type': { type: 'string' },
} as const;

/** A usage mistake: printed with the usage, exit code 2. */
export class UsageError extends Error {}

/** Parses `exec`'s arguments (after the word `exec`) and the environment it reads. */
export function parseExecOptions(args: string[], env: NodeJS.ProcessEnv): ExecOptions {
  let parsed;
  try {
    parsed = parseArgs({ args, options: flags, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0) throw new UsageError('give the command to run after --');
  const field = <T>(schema: z.ZodType<T>, value: unknown, name: string): T => {
    const result = schema.safeParse(value);
    if (!result.success) throw new UsageError(`${name}: ${result.error.issues[0]?.message ?? 'invalid'}`);
    return result.data;
  };
  const timeoutSeconds = values.timeout === undefined ? 60 : Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
    throw new UsageError('--timeout: must be a positive number of seconds');
  const lead = values['refresh-lead'] === undefined ? undefined : Number(values['refresh-lead']);
  if (lead !== undefined && (!Number.isFinite(lead) || lead < 0))
    throw new UsageError('--refresh-lead: must be a number of seconds');
  const options: ExecOptions = {
    runId: field(ulid, values.run, '--run'),
    workerId: field(workerId, values.worker ?? defaultWorkerId(), '--worker'),
    nats: usage(() => natsLoginOf(values, env)),
    awsEndpointUrl: field(
      envUrl({ protocols: ['http', 'https'] }).optional(),
      env['AWS_ENDPOINT_URL'] || undefined,
      'AWS_ENDPOINT_URL',
    ),
    phase: values.phase === undefined ? undefined : field(phase, values.phase, '--phase'),
    integrationId:
      values.integration === undefined ? undefined : field(ulid, values.integration, '--integration'),
    timeoutMs: timeoutSeconds * 1000,
    refreshLeadMs: lead === undefined ? undefined : lead * 1000,
    containerOnly: values['container-only'] ?? false,
    command: positionals,
  };
  if (values['publish-phases']) {
    if (!values.stack === !values.module)
      throw new UsageError('--publish-phases needs exactly one of --stack <id> or --module <id>');
    const connection = usage(() =>
      apiConnectionOf(
        env,
        '--publish-phases needs a scheduler (or admin) API key of the account (POST /v1/api-keys {"role":"scheduler"})',
      ),
    );
    options.publish = {
      ...connection,
      account: values.account === undefined ? undefined : field(accountSlug, values.account, '--account'),
      spaceId: values.space === undefined ? undefined : field(spaceId, values.space, '--space'),
      caller: {
        type: values.stack ? 'stack' : 'module',
        id: field(ulid, values.stack ?? values.module, values.stack ? '--stack' : '--module'),
        slug:
          values['caller-slug'] === undefined
            ? undefined
            : field(callerSlug, values['caller-slug'], '--caller-slug'),
      },
      runType: field(runType, values['run-type'] ?? 'TRACKED', '--run-type'),
    };
  }
  return options;
}

/** Runs `read`, turning its complaint into a usage error. */
function usage<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** This machine's name as a NATS subject token. */
function defaultWorkerId(): string {
  return `worker-${hostname().replace(/[^A-Za-z0-9_-]/g, '-')}`.slice(0, 64);
}
