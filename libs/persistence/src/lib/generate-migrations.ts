import { MikroORM } from '@mikro-orm/core';
import { knex } from '@mikro-orm/postgresql';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuntrailError } from '@runtrail/contracts';
import { optionsForTarget, type PersistenceDefinition } from './database-options';
import type { DatabaseTarget } from './database-url';
import { runMigrations } from './run-migrations';

export type DatabaseDriver = 'sqlite' | 'postgres';

export interface GenerateMigrationsOptions {
  definition: PersistenceDefinition;
  /**
   * snake_case purpose, e.g. `create_attachment`: the class is `Migration<yyyyMMddHHmmss>_<name>`,
   * the file `<yyyyMMddHHmmss>-<name with dashes>.migration.ts`
   */
  name: string;
  /** folder holding one sub-folder per driver (`sqlite/`, `postgres/`); created when missing */
  outDir: string;
  /**
   * A PostgreSQL server the generator may use: it creates a scratch database there and drops it
   * afterwards (needs CREATEDB). Without it only the SQLite migration is generated.
   */
  postgresUrl?: string | undefined;
  /** timestamp of the migration name; now by default */
  now?: Date;
}

export interface GeneratedMigration {
  driver: DatabaseDriver;
  className: string;
  /** absolute path of the written `.ts` file */
  file: string;
  /** the `up` statements, for review */
  statements: string[];
}

/**
 * Writes the migration that takes a database from "all committed migrations applied" to "matches
 * the entities", once per driver, under the same class name. Each driver is diffed against a
 * scratch database (SQLite in memory, a temporary PostgreSQL database in the default schema, so the
 * SQL carries no schema name and runs in whichever schema the service uses).
 *
 * Returns nothing for a driver whose migrations already match the entities. Review the files,
 * add the classes to the driver's migration list, and commit both.
 */
export async function generateMigrations(options: GenerateMigrationsOptions): Promise<GeneratedMigration[]> {
  if (!/^[a-z][a-z0-9_]*$/.test(options.name)) {
    throw new RuntrailError('VALIDATION_FAILED', `migration name "${options.name}" must be snake_case, e.g. create_attachment`);
  }
  const stamp = timestamp(options.now ?? new Date());
  const className = `Migration${stamp}_${options.name}`;
  const fileName = `${stamp}-${options.name.replace(/_/g, '-')}.migration.ts`;
  const generated: GeneratedMigration[] = [];
  const sqlite = await generateFor('sqlite', { driver: 'sqlite', path: ':memory:' }, options, className, fileName);
  if (sqlite) generated.push(sqlite);
  if (options.postgresUrl) {
    const pg = await withScratchPostgres(options.postgresUrl, (target) => generateFor('postgres', target, options, className, fileName));
    if (pg) generated.push(pg);
  }
  return generated;
}

/**
 * The statements the entities still need after every committed migration of `driver` ran on an
 * empty database: empty when the migrations and the entities agree. Feature libs call it in a test
 * so that a forgotten migration fails CI instead of production.
 */
export async function schemaDrift(
  definition: PersistenceDefinition,
  driver: DatabaseDriver,
  postgresUrl?: string,
): Promise<string[]> {
  const drift = async (target: DatabaseTarget) =>
    withOrm(target, definition, async (orm) => (await diffAfterMigrations(orm)).up);
  if (driver === 'sqlite') return drift({ driver: 'sqlite', path: ':memory:' });
  if (!postgresUrl) throw new RuntrailError('VALIDATION_FAILED', 'schemaDrift on postgres needs a PostgreSQL server URL');
  return withScratchPostgres(postgresUrl, drift);
}

async function generateFor(
  driver: DatabaseDriver,
  target: DatabaseTarget,
  options: GenerateMigrationsOptions,
  className: string,
  fileName: string,
): Promise<GeneratedMigration | undefined> {
  const diff = await withOrm(target, options.definition, diffAfterMigrations);
  if (diff.up.length === 0) return undefined;
  const dir = join(options.outDir, driver);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, fileName);
  writeFileSync(file, migrationSource(className, driver, diff), { flag: 'wx' });
  return { driver, className, file, statements: diff.up };
}

/** Applies the committed migrations, then asks the schema generator what still differs. */
async function diffAfterMigrations(orm: MikroORM): Promise<{ up: string[]; down: string[] }> {
  await runMigrations(orm);
  const { up, down } = await orm.schema.getUpdateSchemaMigrationSQL({ wrap: false, safe: false, dropTables: true });
  return { up: splitStatements(up), down: splitStatements(down) };
}

function migrationSource(className: string, driver: DatabaseDriver, diff: { up: string[]; down: string[] }): string {
  const body = (statements: string[]) =>
    statements.map((sql) => `    this.addSql(\`${sql.replace(/[`$\\]/g, '\\$&')}\`);\n`).join('');
  const down = diff.down.length ? `\n  override down(): void {\n${body(diff.down)}  }\n` : '';
  return [
    `import { Migration } from '@mikro-orm/migrations';\n\n`,
    `/** ${driver === 'sqlite' ? 'SQLite' : 'PostgreSQL'} half of ${className}; generated by generateMigrations, reviewed by a person. */\n`,
    `export class ${className} extends Migration {\n`,
    `  override up(): void {\n${body(diff.up)}  }\n`,
    down,
    `}\n`,
  ].join('');
}

async function withOrm<T>(
  target: DatabaseTarget,
  definition: PersistenceDefinition,
  work: (orm: MikroORM) => Promise<T>,
): Promise<T> {
  const orm = await MikroORM.init(optionsForTarget(target, definition));
  try {
    return await work(orm);
  } finally {
    await orm.close(true);
  }
}

/** Creates a temporary database on the server of `serverUrl`, runs `work` in its `public` schema, drops it. */
async function withScratchPostgres<T>(serverUrl: string, work: (target: DatabaseTarget) => Promise<T>): Promise<T> {
  const database = `runtrail_gen_${randomBytes(5).toString('hex')}`;
  const admin = new URL(serverUrl);
  admin.pathname = '/postgres';
  const client = knex({ client: 'pg', connection: admin.toString(), pool: { min: 0, max: 1 } });
  try {
    await client.raw(`create database "${database}"`);
    const url = new URL(serverUrl);
    url.pathname = `/${database}`;
    try {
      return await work({ driver: 'postgres', url: url.toString(), database, schema: 'public' });
    } finally {
      await client.raw(`drop database if exists "${database}" with (force)`);
    }
  } finally {
    await client.destroy();
  }
}

function timestamp(date: Date): string {
  return date.toISOString().replace(/[-T:]|\.\d{3}Z$/g, '');
}

function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*\n/)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0)
    .map((statement) => (statement.endsWith(';') ? statement : `${statement};`));
}
