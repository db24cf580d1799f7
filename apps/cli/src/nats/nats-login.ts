import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { natsUrl } from '@runtrail/config';
import { openServerWarning } from '@runtrail/messaging/client';

/** How a CLI command logs in to NATS: `--nats`, `--nats-creds`, `--nats-inbox-prefix` and the environment. */
export interface NatsLogin {
  servers: string[];
  /** NATS_USER + NATS_PASSWORD (environment only: argv is visible to every local user). */
  user?: string;
  pass?: string;
  /** A NATS credentials file (JWT + nkey seed, `--nats-creds` / `NATS_CREDS`), for JWT-mode servers. */
  credsFile?: string;
  /**
   * Replies arrive on `<prefix>.>`; deploy/nats/auth.conf lets each user subscribe to its own
   * prefix only. Default `_INBOX_<NATS_USER>` with a user, the client's `_INBOX` without.
   */
  inboxPrefix?: string;
}

/** The flags every NATS-speaking command accepts (`parseArgs` options). */
export const NATS_FLAGS = {
  nats: { type: 'string' },
  'nats-creds': { type: 'string' },
  'nats-inbox-prefix': { type: 'string' },
} as const;

export const NATS_USAGE = `[--nats <url>] [--nats-creds <file>] [--nats-inbox-prefix <prefix>]
  (or NATS_URL, NATS_CREDS, NATS_INBOX_PREFIX; a user logs in with NATS_USER and NATS_PASSWORD)`;

/**
 * Reads the login from the flags and the environment. Throws a message naming the bad input; the
 * caller turns it into its usage error.
 */
export function natsLoginOf(
  values: { nats?: string; 'nats-creds'?: string; 'nats-inbox-prefix'?: string },
  env: NodeJS.ProcessEnv,
): NatsLogin {
  const url = natsUrl.safeParse(values.nats ?? env['NATS_URL']);
  if (!url.success) throw new Error(`--nats / NATS_URL: ${url.error.issues[0]?.message ?? 'invalid'}`);
  const user = env['NATS_USER'] || undefined;
  const pass = env['NATS_PASSWORD'] || undefined;
  if (Boolean(user) !== Boolean(pass)) throw new Error('NATS_USER and NATS_PASSWORD go together: set both or neither');
  const credsFile = values['nats-creds'] ?? (env['NATS_CREDS'] || undefined);
  if (credsFile && user) throw new Error('give either --nats-creds / NATS_CREDS or NATS_USER + NATS_PASSWORD, not both');
  const inboxPrefix = values['nats-inbox-prefix'] ?? (env['NATS_INBOX_PREFIX'] || (user ? `_INBOX_${user}` : undefined));
  if (inboxPrefix !== undefined && !/^[A-Za-z0-9_-]+$/.test(inboxPrefix))
    throw new Error('--nats-inbox-prefix / NATS_INBOX_PREFIX: one subject token (letters, digits, - and _)');
  return { servers: url.data.split(',').map((s) => s.trim()), user, pass, credsFile, inboxPrefix };
}

/** Connects as `login`; on a server without authentication it says so once on `warn`. */
export async function connectAs(login: NatsLogin, name: string, warn: (line: string) => void): Promise<NatsConnection> {
  const nc = await connect({
    servers: login.servers,
    name,
    user: login.user,
    pass: login.pass,
    inboxPrefix: login.inboxPrefix,
    ...(login.credsFile ? { authenticator: credsAuthenticator(readFileSync(login.credsFile)) } : {}),
  });
  const warning = openServerWarning(nc);
  if (warning) warn(warning);
  return nc;
}
