import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startNatsServer, type RunningNatsServer } from './nats-server';

/** deploy/nats/auth.conf: the accounts, users and permissions runtrail ships. */
export const AUTH_CONF = join(__dirname, '../../../../deploy/nats/auth.conf');

/** A fresh password for every `NATS_PASSWORD_*` variable auth.conf reads. */
export function freshShippedPasswords(): Record<string, string> {
  const auth = readFileSync(AUTH_CONF, 'utf8');
  const variables = [...new Set(auth.match(/\$NATS_PASSWORD_[A-Z0-9_]+/g) ?? [])].map((v) => v.slice(1));
  return Object.fromEntries(variables.map((v) => [v, natsSafePassword()]));
}

/** A nats-server running the shipped deploy/nats/auth.conf, with a fresh random password per user. */
export interface ShippedNatsServer extends RunningNatsServer {
  /** Every `NATS_PASSWORD_*` variable of auth.conf with its password (what the server was given). */
  readonly passwords: Record<string, string>;
  /** `NATS_USER` and `NATS_PASSWORD` of `user` (e.g. `credential-broker`, `worker-pool-default`). */
  login(user: string): { NATS_USER: string; NATS_PASSWORD: string };
}

/** The variable auth.conf reads a user's password from: `worker-pool-default` → `NATS_PASSWORD_WORKER_POOL_DEFAULT`. */
export function passwordVariable(user: string): string {
  return `NATS_PASSWORD_${user.replace(/-/g, '_').toUpperCase()}`;
}

/**
 * Starts nats-server with deploy/nats/auth.conf as shipped (JetStream, loopback, random port) and
 * runs no setup: streams exist only once a test runs `runtrail nats setup` as `runtrail-admin`.
 */
export async function startShippedNatsServer(): Promise<ShippedNatsServer> {
  const passwords = freshShippedPasswords();
  const dir = mkdtempSync(join(tmpdir(), 'runtrail-nats-conf-'));
  const configFile = join(dir, 'nats.conf');
  // Only the accounts and users come from the shipped files; nats.conf's cluster needs three hosts.
  writeFileSync(configFile, `include "${relative(dir, AUTH_CONF)}"\n`);
  const server = await startNatsServer({ configFile, env: passwords, setup: false });
  return {
    ...server,
    passwords,
    login(user: string) {
      const pass = passwords[passwordVariable(user)];
      if (!pass) throw new Error(`deploy/nats/auth.conf has no user ${user}`);
      return { NATS_USER: user, NATS_PASSWORD: pass };
    },
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * nats-server reads a `$VARIABLE` in its config as a config value: one starting with a digit or `-`
 * parses as a number (and fails), `true`/`no`/… as a boolean. A letter, then hex, is always a string.
 */
function natsSafePassword(): string {
  return `p${randomBytes(24).toString('hex')}`;
}
