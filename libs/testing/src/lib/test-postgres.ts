import { knex } from '@mikro-orm/postgresql';
import { postgresBinDir, startPostgresCluster, type RunningPostgresCluster } from './postgres-cluster';
import { uniqueName } from './names';

const URL_VAR = 'RUNTRAIL_TEST_POSTGRES_URL';
const SKIP_VAR = 'RUNTRAIL_TEST_POSTGRES_SKIP_REASON';

/**
 * Global-setup step: starts the shared PostgreSQL cluster when the binaries exist and publishes
 * its server URL in `RUNTRAIL_TEST_POSTGRES_URL` for the workers. Without binaries it fails when
 * `CI` is set (a CI run must not silently skip the PostgreSQL half), else it records why the
 * PostgreSQL suites will be skipped. `RUNTRAIL_TEST_POSTGRES_URL` already set: that server is used.
 */
export async function startTestPostgres(): Promise<RunningPostgresCluster | undefined> {
  if (process.env[URL_VAR]) return undefined;
  if (!postgresBinDir()) {
    const reason = 'PostgreSQL binaries not found (apt-get install -y postgresql, or set RUNTRAIL_POSTGRES_BIN)';
    if (process.env['CI']) throw new Error(`CI is set and ${reason}: PostgreSQL tests cannot run`);
    process.env[SKIP_VAR] = reason;
    return undefined;
  }
  const cluster = await startPostgresCluster();
  process.env[URL_VAR] = cluster.url;
  return cluster;
}

/** The shared test cluster's server URL, or undefined when PostgreSQL tests are skipped. */
export function testPostgresUrl(): string | undefined {
  return process.env[URL_VAR] || undefined;
}

/** Why PostgreSQL tests are skipped in this run (undefined when they run). */
export function postgresSkipReason(): string | undefined {
  if (testPostgresUrl()) return undefined;
  return process.env[SKIP_VAR] ?? `${URL_VAR} is not set: run tests through the root jest.config.js`;
}

export interface TestDatabase {
  /** `postgres://postgres@127.0.0.1:<port>/<name>` */
  url: string;
  name: string;
  /** drops the database, closing its remaining connections */
  drop(): Promise<void>;
}

async function admin<T>(serverUrl: string, work: (client: ReturnType<typeof knex>) => Promise<T>): Promise<T> {
  const url = new URL(serverUrl);
  url.pathname = '/postgres';
  const client = knex({ client: 'pg', connection: url.toString(), pool: { min: 0, max: 1 } });
  try {
    return await work(client);
  } finally {
    await client.destroy();
  }
}

/**
 * Creates a fresh, empty database named `<prefix>_<random>` in the shared test cluster.
 *
 * @throws Error naming the skip reason when PostgreSQL is not available in this run.
 */
export async function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  const serverUrl = testPostgresUrl();
  if (!serverUrl) throw new Error(`no test PostgreSQL: ${postgresSkipReason()}`);
  const name = uniqueName(prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_')).slice(0, 63);
  await admin(serverUrl, (client) => client.raw(`create database "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => admin(serverUrl, async (client) => void (await client.raw(`drop database if exists "${name}" with (force)`))),
  };
}
