import { mkdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { uniqueName, testPostgresUrl, postgresSkipReason } from '@runtrail/testing';
import * as pg1 from '../spec/migrations/postgres/20261101120000-create-sample-item.migration';
import * as lite1 from '../spec/migrations/sqlite/20261101120000-create-sample-item.migration';
import { SampleItem } from '../spec/sample-item.entity';
import { samplePersistence } from '../spec/sample.persistence';
import { definePersistence, type PersistenceDefinition } from './database-options';
import { generateMigrations, schemaDrift } from './generate-migrations';
import { migrationList } from './migration-list';

// Inside the repository (git-ignored tmp/) so that the generated files resolve @mikro-orm/*.
const outDir = join(__dirname, '..', '..', 'tmp', uniqueName('generated'));
const postgresUrl = testPostgresUrl();
const itWithPostgres = postgresUrl ? it : it.skip;
if (!postgresUrl) console.warn(`PostgreSQL generation skipped: ${postgresSkipReason()}`);

// The sample as it was before its second migration was written.
const firstMigrationOnly: PersistenceDefinition = definePersistence({
  service: 'sample',
  entities: [SampleItem],
  migrations: { sqlite: migrationList(lite1), postgres: migrationList(pg1) },
});

describe('generateMigrations', () => {
  beforeAll(() => mkdirSync(outDir, { recursive: true }));
  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
    try {
      rmdirSync(dirname(outDir));
    } catch {
      // another run still uses tmp/
    }
  });

  itWithPostgres('writes the missing migration for both drivers, under one name, without a schema', async () => {
    const written = await generateMigrations({
      definition: firstMigrationOnly,
      name: 'add_archived_at',
      outDir,
      postgresUrl,
      now: new Date('2026-11-05T00:00:00Z'),
    });
    expect(written.map((m) => [m.driver, m.className])).toEqual([
      ['sqlite', 'Migration20261105000000_add_archived_at'],
      ['postgres', 'Migration20261105000000_add_archived_at'],
    ]);
    const [sqlite, postgres] = written;
    expect(sqlite!.file).toBe(join(outDir, 'sqlite', '20261105000000-add-archived-at.migration.ts'));
    expect(sqlite!.statements).toEqual(['alter table `sample_item` add column `archived_at` datetime null;']);
    expect(postgres!.statements).toEqual(['alter table "sample_item" add column "archived_at" timestamptz null;']);
    expect(readFileSync(postgres!.file, 'utf8')).toContain('export class Migration20261105000000_add_archived_at extends Migration');

    // The generated files are real migrations: with them, the schema matches the entities.
    const load = (file: string): Record<string, unknown> => require(file);
    const completed = definePersistence({
      ...firstMigrationOnly,
      migrations: {
        sqlite: migrationList(lite1, load(sqlite!.file)),
        postgres: migrationList(pg1, load(postgres!.file)),
      },
    });
    expect(await schemaDrift(completed, 'sqlite')).toEqual([]);
    expect(await schemaDrift(completed, 'postgres', postgresUrl)).toEqual([]);
  });

  it('writes nothing when the migrations already match the entities', async () => {
    const written = await generateMigrations({ definition: samplePersistence('sample'), name: 'noop', outDir, postgresUrl });
    expect(written).toEqual([]);
  });

  it('reports drift when an entity changed without a migration', async () => {
    expect(await schemaDrift(firstMigrationOnly, 'sqlite')).toEqual([
      'alter table `sample_item` add column `archived_at` datetime null;',
    ]);
  });

  it('refuses a name that would not make a class name', async () => {
    await expect(generateMigrations({ definition: firstMigrationOnly, name: 'Add Column', outDir })).rejects.toThrow(/snake_case/);
  });
});
