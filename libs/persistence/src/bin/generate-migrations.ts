// Writes the next migration of a service for both drivers (see libs/persistence/README.md):
//   node tools/build.mjs
//   node dist/libs/persistence/src/bin/generate-migrations.js \
//     --definition dist/libs/<service>/src/index.js#<exportName> --name <snake_case> \
//     --out libs/<service>/src/migrations [--postgres-url postgres://postgres@127.0.0.1:5432]
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateMigrations } from '../lib/generate-migrations';
import type { PersistenceDefinition } from '../lib/database-options';

function isDefinition(value: unknown): value is PersistenceDefinition {
  const candidate = value as Partial<PersistenceDefinition> | undefined;
  return typeof candidate?.service === 'string' && Array.isArray(candidate.entities) && !!candidate.migrations;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      definition: { type: 'string' },
      name: { type: 'string' },
      out: { type: 'string' },
      'postgres-url': { type: 'string' },
    },
  });
  if (!values.definition || !values.name || !values.out) {
    throw new Error('usage: --definition <compiled module>#<export> --name <snake_case> --out <migrations dir> [--postgres-url <url>]');
  }
  const [modulePath = '', exportName = 'default'] = values.definition.split('#');
  const loaded: unknown = (await import(resolve(modulePath)))[exportName];
  const definition = typeof loaded === 'function' ? (loaded as () => unknown)() : loaded;
  if (!isDefinition(definition)) throw new Error(`${values.definition} is not a PersistenceDefinition`);
  const postgresUrl = values['postgres-url'] ?? process.env['RUNTRAIL_DEV_POSTGRES_URL'];
  const written = await generateMigrations({ definition, name: values.name, outDir: resolve(values.out), postgresUrl });
  if (!postgresUrl) process.stderr.write('no --postgres-url (or RUNTRAIL_DEV_POSTGRES_URL): PostgreSQL half not generated\n');
  if (!written.length) process.stdout.write('entities and migrations already agree: nothing to generate\n');
  for (const migration of written) process.stdout.write(`${migration.driver}: ${migration.file}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
