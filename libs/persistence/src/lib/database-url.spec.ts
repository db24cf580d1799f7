import { join, resolve } from 'node:path';
import { RuntrailError } from '@runtrail/contracts';
import { redactDatabaseUrl, resolveDatabaseTarget, schemaNameFor } from './database-url';
import { assertMigrationsPaired, migrationList } from './migration-list';

function validationError(run: () => unknown): RuntrailError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(RuntrailError);
    expect((error as RuntrailError).code).toBe('VALIDATION_FAILED');
    return error as RuntrailError;
  }
  throw new Error('expected a VALIDATION_FAILED error');
}

describe('resolveDatabaseTarget', () => {
  it('defaults to a SQLite file per service under .data', () => {
    expect(resolveDatabaseTarget({ service: 'audit' })).toEqual({ driver: 'sqlite', path: resolve('.data', 'audit.sqlite') });
    expect(resolveDatabaseTarget({ service: 'audit', databaseUrl: ' ', dataDir: '/var/lib/rt' })).toEqual({
      driver: 'sqlite',
      path: '/var/lib/rt/audit.sqlite',
    });
  });

  it('accepts sqlite: paths, in-memory databases and a file per service', () => {
    expect(resolveDatabaseTarget({ service: 'audit', databaseUrl: 'sqlite::memory:' })).toEqual({ driver: 'sqlite', path: ':memory:' });
    expect(resolveDatabaseTarget({ service: 'audit', databaseUrl: 'sqlite:tmp/x.sqlite' })).toEqual({
      driver: 'sqlite',
      path: resolve('tmp/x.sqlite'),
    });
    expect(resolveDatabaseTarget({ service: 'oidc-issuer', databaseUrl: 'sqlite:/data/{service}.db' })).toEqual({
      driver: 'sqlite',
      path: '/data/oidc-issuer.db',
    });
    expect(resolveDatabaseTarget({ service: 'audit', databaseUrl: 'sqlite:/data/' })).toEqual({
      driver: 'sqlite',
      path: join('/data', 'audit.sqlite'),
    });
  });

  it('gives each service its own PostgreSQL schema, named without dashes', () => {
    const url = 'postgresql://rt:s3cret@db:5432/runtrail?sslmode=require';
    expect(resolveDatabaseTarget({ service: 'credential-broker', databaseUrl: url })).toEqual({
      driver: 'postgres',
      url,
      database: 'runtrail',
      schema: 'credential_broker',
    });
    expect(schemaNameFor('audit')).toBe('audit');
  });

  it('rejects other schemes and a PostgreSQL URL without a database, without echoing the password', () => {
    expect(validationError(() => resolveDatabaseTarget({ service: 'audit', databaseUrl: 'mysql://root:pw@db/x' })).message).toMatch(
      /scheme "mysql:" is not supported/,
    );
    const missingDb = validationError(() => resolveDatabaseTarget({ service: 'audit', databaseUrl: 'postgres://rt:s3cret@db:5432' }));
    expect(missingDb.message).toMatch(/names no database/);
    expect(missingDb.message).not.toContain('s3cret');
    expect(missingDb.issues).toEqual([{ path: 'DATABASE_URL', rule: 'must name a database' }]);
  });

  it('rejects service names that cannot be a file or schema name', () => {
    validationError(() => resolveDatabaseTarget({ service: '../etc' }));
    validationError(() => schemaNameFor('Audit'));
  });

  it('redacts passwords', () => {
    expect(redactDatabaseUrl('postgres://rt:s3cret@db/runtrail')).toBe('postgres://rt:***@db/runtrail');
    expect(redactDatabaseUrl('postgres://rt@db/runtrail')).toBe('postgres://rt@db/runtrail');
  });
});

describe('migration lists', () => {
  class Second {}
  class First {}

  it('names each migration after its export and orders them by name', () => {
    const list = migrationList({ Migration20261102_b: Second }, { Migration20261101_a: First, notAClass: 'x' });
    expect(list.map((m) => m.name)).toEqual(['Migration20261101_a', 'Migration20261102_b']);
    expect(list[0]!.class).toBe(First);
  });

  it('refuses a migration that exists for one driver only', () => {
    const sqlite = migrationList({ Migration1_a: First, Migration2_b: Second });
    const postgres = migrationList({ Migration1_a: First });
    const error = validationError(() => assertMigrationsPaired('audit', { sqlite, postgres }));
    expect(error.message).toContain('migrations.postgres missing Migration2_b');
  });
});
