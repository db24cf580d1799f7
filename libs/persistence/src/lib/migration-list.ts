import type { MigrationObject } from '@mikro-orm/core';
import { RuntrailError } from '@runtrail/contracts';

type MigrationClass = MigrationObject['class'];

/**
 * The migration list of one driver, from the migration modules (`import * as m from './…'`): each
 * exported class becomes `{ name: <export name>, class }`, sorted by name (names start with their
 * timestamp). Export names survive compilation and bundling, unlike `Function.name`, and the name
 * is what the migrations table records, so it must never change once released.
 */
export function migrationList(...modules: Array<Record<string, unknown>>): MigrationObject[] {
  const list = modules.flatMap((module) =>
    Object.entries(module)
      .filter((entry): entry is [string, MigrationClass] => typeof entry[1] === 'function')
      .map(([name, migration]) => ({ name, class: migration })),
  );
  const seen = new Set<string>();
  for (const { name } of list) {
    if (seen.has(name)) throw new RuntrailError('VALIDATION_FAILED', `migration ${name} is listed twice`);
    seen.add(name);
  }
  return list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Checks that both drivers list the same migration names, so nobody commits one half.
 *
 * @throws RuntrailError `VALIDATION_FAILED` naming each migration missing on one side.
 */
export function assertMigrationsPaired(service: string, migrations: { sqlite: MigrationObject[]; postgres: MigrationObject[] }): void {
  const sqlite = new Set(migrations.sqlite.map((m) => m.name));
  const postgres = new Set(migrations.postgres.map((m) => m.name));
  const issues = [
    ...[...sqlite].filter((name) => !postgres.has(name)).map((name) => ({ path: `migrations.postgres`, rule: `missing ${name}` })),
    ...[...postgres].filter((name) => !sqlite.has(name)).map((name) => ({ path: `migrations.sqlite`, rule: `missing ${name}` })),
  ];
  if (issues.length) {
    const summary = issues.map((i) => `${i.path} ${i.rule}`).join('; ');
    throw new RuntrailError('VALIDATION_FAILED', `${service}: every migration needs a SQLite and a PostgreSQL version: ${summary}`, issues);
  }
}
