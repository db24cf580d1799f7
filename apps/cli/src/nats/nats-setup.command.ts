import { parseArgs } from 'node:util';
import { workerId } from '@runtrail/contracts';
import { setupJetStream } from '@runtrail/nats-setup';
import { connectAs, NATS_FLAGS, NATS_USAGE, natsLoginOf, type NatsLogin } from './nats-login';

export const NATS_SETUP_USAGE = `usage: runtrail nats setup [--replicas <1-5>] [--worker <id>]... [--audit-lease-ttl <ms>]
                          ${NATS_USAGE.replace(/\n/g, '\n                          ')}
  Creates or updates every runtrail stream (never lowering an existing stream's replicas), audit's
  KV bucket, and the delivery consumer of each --worker. Run it with the operator's NATS user
  (runtrail-admin); services only check that their streams exist.
  Environment: NATS_STREAM_REPLICAS (default 1), RUNTRAIL_WORKERS (comma-separated worker ids),
  AUDIT_LEASE_TTL_MS (default 30000).`;

export interface NatsSetupOptions {
  nats: NatsLogin;
  replicas: number;
  workers: string[];
  auditLeaseTtlMs?: number;
}

/** A mistake in `nats setup`'s arguments: printed with the usage, exit code 2. */
export class NatsSetupUsageError extends Error {}

/** Parses `nats setup`'s arguments (after `nats setup`) and the environment it reads. */
export function parseNatsSetupOptions(args: string[], env: NodeJS.ProcessEnv): NatsSetupOptions {
  const fail = (message: string): never => {
    throw new NatsSetupUsageError(message);
  };
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        ...NATS_FLAGS,
        replicas: { type: 'string' },
        worker: { type: 'string', multiple: true },
        'audit-lease-ttl': { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    return fail((error as Error).message);
  }
  const replicas = Number(values.replicas ?? env['NATS_STREAM_REPLICAS'] ?? 1);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5)
    fail('--replicas / NATS_STREAM_REPLICAS: a whole number from 1 to 5');
  const ttlText = values['audit-lease-ttl'] ?? env['AUDIT_LEASE_TTL_MS'];
  const auditLeaseTtlMs = ttlText === undefined ? undefined : Number(ttlText);
  if (auditLeaseTtlMs !== undefined && !(Number.isInteger(auditLeaseTtlMs) && auditLeaseTtlMs >= 3000))
    fail('--audit-lease-ttl / AUDIT_LEASE_TTL_MS: milliseconds, at least 3000');
  const workers = [...(values.worker ?? []), ...(env['RUNTRAIL_WORKERS'] ?? '').split(',')]
    .map((w) => w.trim())
    .filter(Boolean);
  for (const w of workers) {
    const checked = workerId.safeParse(w);
    if (!checked.success) fail(`worker id "${w}": ${checked.error.issues[0]?.message ?? 'invalid'}`);
  }
  let nats: NatsLogin;
  try {
    nats = natsLoginOf(values, env);
  } catch (error) {
    return fail((error as Error).message);
  }
  return { nats, replicas, workers: [...new Set(workers)], auditLeaseTtlMs };
}

/** `runtrail nats setup`: the operator's step that makes what the services and workers only use. */
export async function natsSetupCommand(options: NatsSetupOptions, out: (line: string) => void): Promise<number> {
  const nc = await connectAs(options.nats, 'runtrail-nats-setup', (line) => out(`warning: ${line}`));
  try {
    const report = await setupJetStream(nc, {
      replicas: options.replicas,
      workers: options.workers,
      auditLeaseTtlMs: options.auditLeaseTtlMs,
    });
    for (const line of report) out(line);
    return 0;
  } finally {
    await nc.close();
  }
}
