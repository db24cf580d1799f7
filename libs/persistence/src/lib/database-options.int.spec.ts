import { Entity, MikroORM, PrimaryKey, Property } from '@mikro-orm/core';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { samplePersistence } from '../spec/sample.persistence';
import { databaseOptionsFor } from './database-options';
import { runMigrations } from './run-migrations';

// Forgot `type` on a `Date | null`: SWC's decorator metadata only says Object here.
@Entity({ tableName: 'careless' })
class Careless {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ nullable: true })
  seenAt?: Date | null;
}

describe('databaseOptionsFor on SQLite', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runtrail-options-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates <dataDir>/<service>.sqlite, folders included, when DATABASE_URL is unset', async () => {
    const dataDir = join(dir, 'not', 'yet', 'there');
    const orm = await MikroORM.init(databaseOptionsFor({ ...samplePersistence('audit'), dataDir }));
    try {
      expect(await runMigrations(orm)).toHaveLength(2);
      expect(existsSync(join(dataDir, 'audit.sqlite'))).toBe(true);
    } finally {
      await orm.close(true);
    }
  });

  it('gives services sharing a sqlite:…/{service}.sqlite URL a file each', async () => {
    const databaseUrl = `sqlite:${dir}/{service}.sqlite`;
    const orms = await Promise.all(
      ['audit', 'oidc-issuer'].map((service) => MikroORM.init(databaseOptionsFor({ ...samplePersistence(service), databaseUrl }))),
    );
    try {
      for (const orm of orms) expect(await runMigrations(orm)).toHaveLength(2);
      expect(existsSync(join(dir, 'audit.sqlite'))).toBe(true);
      expect(existsSync(join(dir, 'oidc-issuer.sqlite'))).toBe(true);
    } finally {
      await Promise.all(orms.map((orm) => orm.close(true)));
    }
  });

  it('refuses to start with a property whose type only reflection could guess', async () => {
    const options = databaseOptionsFor({
      service: 'careless',
      entities: [Careless],
      migrations: { sqlite: [], postgres: [] },
      databaseUrl: 'sqlite::memory:',
    });
    await expect(MikroORM.init(options)).rejects.toThrow('give these properties an explicit type, e.g. @Property({ type: \'datetime\' }): Careless.seenAt');
  });
});
