import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName } from './names';
import { createTestDatabase, postgresSkipReason } from './test-postgres';

export type TestDriver = 'sqlite' | 'postgres';

/** What a suite run by {@link describeEachDatabase} gets. */
export interface DatabaseUnderTest {
  driver: TestDriver;
  /** URL of the suite's database; readable from `beforeAll` on (it is created there) */
  readonly databaseUrl: string;
  /** another empty database of the same driver, removed after the suite */
  newDatabaseUrl(prefix?: string): Promise<string>;
}

const DRIVERS: TestDriver[] = ['sqlite', 'postgres'];
let skipNoticePrinted = false;

/**
 * Runs `suite` twice: against a SQLite file in a temporary folder and against a fresh database of
 * the shared PostgreSQL test cluster. When this run has no PostgreSQL (see `startTestPostgres`)
 * the PostgreSQL half is skipped and the reason printed once per worker.
 *
 * The databases are created before the suite's own `beforeAll` hooks and dropped after its
 * `afterAll` hooks, so a suite closes its ORM first.
 */
export function describeEachDatabase(name: string, suite: (db: DatabaseUnderTest) => void): void {
  for (const driver of DRIVERS) {
    const skipReason = driver === 'postgres' ? postgresSkipReason() : undefined;
    if (skipReason && !skipNoticePrinted) {
      skipNoticePrinted = true;
      // eslint-disable-next-line no-console -- a skipped half of a suite must say why, once
      console.warn(`PostgreSQL suites skipped: ${skipReason}`);
    }
    const describeDriver = skipReason ? describe.skip : describe;
    describeDriver(`${name} [${driver}]`, () => {
      const created = new DatabaseFactory(driver);
      let url: string | undefined;
      const db: DatabaseUnderTest = {
        driver,
        get databaseUrl() {
          if (!url) throw new Error('databaseUrl is created in beforeAll; read it inside a hook or a test');
          return url;
        },
        newDatabaseUrl: (prefix) => created.create(prefix ?? name),
      };
      beforeAll(async () => {
        url = await created.create(name);
      });
      afterAll(() => created.removeAll());
      describe(driver === 'sqlite' ? 'on SQLite' : 'on PostgreSQL', () => suite(db));
    });
  }
}

class DatabaseFactory {
  private readonly cleanups: Array<() => Promise<void>> = [];

  constructor(private readonly driver: TestDriver) {}

  async create(prefix: string): Promise<string> {
    if (this.driver === 'postgres') {
      const database = await createTestDatabase(prefix);
      this.cleanups.push(database.drop);
      return database.url;
    }
    const dir = mkdtempSync(join(tmpdir(), 'runtrail-sqlite-'));
    this.cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    return `sqlite:${join(dir, `${uniqueName(prefix.replace(/[^\w-]/g, '_'))}.sqlite`)}`;
  }

  async removeAll(): Promise<void> {
    const all = this.cleanups.splice(0).reverse();
    for (const cleanup of all) await cleanup();
  }
}
