import { isAbsolute, join, resolve } from 'node:path';
import { RuntrailError } from '@runtrail/contracts';

/** Where a service's data lives, decided once from `DATABASE_URL`. */
export type DatabaseTarget =
  | { driver: 'sqlite'; /** absolute file path, or `:memory:` */ path: string }
  | {
      driver: 'postgres';
      url: string;
      database: string;
      /** the PostgreSQL schema that holds every table of the service (and its migrations table) */
      schema: string;
    };

const SERVICE_NAME = /^[a-z][a-z0-9-]{0,61}$/;
const ACCEPTED = 'postgres://…, postgresql://…, sqlite:<path> ({service} allowed), sqlite::memory:, or unset for .data/<service>.sqlite';

function invalid(message: string, rule: string): RuntrailError {
  return new RuntrailError('VALIDATION_FAILED', message, [{ path: 'DATABASE_URL', rule }]);
}

/**
 * The PostgreSQL schema of a service: its name with dashes turned into underscores
 * (`credential-broker` -> `credential_broker`), so it never needs quoting.
 */
export function schemaNameFor(service: string): string {
  assertServiceName(service);
  return service.replace(/-/g, '_');
}

function assertServiceName(service: string): void {
  if (!SERVICE_NAME.test(service)) {
    throw new RuntrailError('VALIDATION_FAILED', `invalid service name "${service}"`, [
      { path: 'service', rule: 'must be 1-62 lowercase letters, digits or dashes, starting with a letter' },
    ]);
  }
}

/** `databaseUrl` with any password replaced by `***`, safe for logs and error messages. */
export function redactDatabaseUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (!url.password) return databaseUrl;
    url.password = '***';
    return url.toString();
  } catch {
    return databaseUrl.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

/**
 * Decides the driver and location of a service's database.
 *
 * - unset or empty: SQLite file `<dataDir>/<service>.sqlite` (`dataDir` defaults to `./.data`);
 * - `sqlite:<path>` (relative to the working directory; `{service}` in it, or a trailing `/`, gives
 *   each service its own file, which services sharing one URL need) or `sqlite::memory:`;
 * - `postgres://…` / `postgresql://…`: that database, with the service's own schema.
 *
 * @throws RuntrailError `VALIDATION_FAILED` for another scheme or a PostgreSQL URL without a database name.
 */
export function resolveDatabaseTarget(options: {
  service: string;
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
}): DatabaseTarget {
  assertServiceName(options.service);
  const databaseUrl = options.databaseUrl?.trim();
  if (!databaseUrl) {
    const dataDir = resolve(options.dataDir ?? '.data');
    return { driver: 'sqlite', path: join(dataDir, `${options.service}.sqlite`) };
  }
  if (databaseUrl.startsWith('sqlite:')) return sqliteTarget(databaseUrl.slice('sqlite:'.length), options.service);
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return postgresTarget(databaseUrl, schemaNameFor(options.service));
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(databaseUrl)?.[0] ?? databaseUrl.slice(0, 12);
  throw invalid(`DATABASE_URL scheme "${scheme}" is not supported; use ${ACCEPTED}`, `must be one of ${ACCEPTED}`);
}

function sqliteTarget(rest: string, service: string): DatabaseTarget {
  if (rest === ':memory:') return { driver: 'sqlite', path: ':memory:' };
  let path = rest.startsWith('//') ? rest.slice(2) : rest;
  if (!path) throw invalid('DATABASE_URL "sqlite:" needs a file path, e.g. sqlite:.data/{service}.sqlite', 'sqlite:<path>');
  // SQLite has no schemas: services sharing one URL (the standalone app) need a file each.
  if (path.endsWith('/')) path += `${service}.sqlite`;
  path = path.replace(/\{service\}/g, service);
  return { driver: 'sqlite', path: isAbsolute(path) ? path : resolve(path) };
}

function postgresTarget(databaseUrl: string, schema: string): DatabaseTarget {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw invalid(`DATABASE_URL "${redactDatabaseUrl(databaseUrl)}" is not a valid URL`, 'must be a valid URL');
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database) {
    throw invalid(
      `DATABASE_URL "${redactDatabaseUrl(databaseUrl)}" names no database; add one, e.g. postgres://runtrail@db:5432/runtrail`,
      'must name a database',
    );
  }
  return { driver: 'postgres', url: databaseUrl, database, schema };
}
