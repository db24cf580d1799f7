import { MikroORM, UniqueConstraintViolationException } from '@mikro-orm/core';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { RuntrailError } from '@runtrail/contracts';
import { describeEachDatabase, testPostgresUrl } from '@runtrail/testing';
import { SampleItem } from '../spec/sample-item.entity';
import { samplePersistence } from '../spec/sample.persistence';
import { databaseOptionsFor } from './database-options';
import { resolveDatabaseTarget } from './database-url';
import { DatabaseHealth } from './database-health';
import { schemaDrift } from './generate-migrations';
import { runMigrations } from './run-migrations';
import { toRuntrailError } from './database-errors';

const MIGRATIONS = ['Migration20261101120000_create_sample_item', 'Migration20261102090000_add_sample_item_archived_at'];

describeEachDatabase('persistence', (db) => {
  const service = 'sample-store';
  let orm: MikroORM;
  let firstRun: string[];

  const open = () => MikroORM.init(databaseOptionsFor({ ...samplePersistence(service), databaseUrl: db.databaseUrl }));
  // Raw SQL through the service's own connection (its search_path on PostgreSQL).
  const sql = async <T>(query: string, params: unknown[] = []) => (await orm.em.getConnection().execute(query, params)) as T[];

  beforeAll(async () => {
    orm = await open();
    firstRun = await runMigrations(orm);
  });
  afterAll(() => orm.close(true));

  it('applies the committed migrations in order, and nothing on the next start', async () => {
    expect(firstRun).toEqual(MIGRATIONS);
    expect(await runMigrations(orm)).toEqual([]);
    await orm.close(true);
    orm = await open();
    expect(await runMigrations(orm)).toEqual([]);
    const rows = await sql<{ name: string }>('select name from mikro_orm_migrations order by id');
    expect(rows.map((r) => r.name)).toEqual(MIGRATIONS);
  });

  it('creates, reads and updates an entity, with json and dates intact', async () => {
    const writer = orm.em.fork();
    const item = writer.create(SampleItem, { name: 'first', labels: { env: 'prod', team: 'core' } });
    await writer.flush();
    expect(item.id).toMatch(/^[0-9a-f-]{36}$/);

    const read = await orm.em.fork().findOneOrFail(SampleItem, { name: 'first' });
    expect(read).toMatchObject({ id: item.id, labels: { env: 'prod', team: 'core' }, revision: 0, archivedAt: null });
    expect(read.createdAt).toBeInstanceOf(Date);
    expect(read.createdAt.getTime()).toBe(item.createdAt.getTime());

    const updater = orm.em.fork();
    const toUpdate = await updater.findOneOrFail(SampleItem, item.id);
    const archivedAt = new Date('2026-11-02T10:11:12.345Z');
    toUpdate.revision += 1;
    toUpdate.archivedAt = archivedAt;
    toUpdate.labels = { ...toUpdate.labels, env: 'staging' };
    await updater.flush();

    const reread = await orm.em.fork().findOneOrFail(SampleItem, item.id);
    expect(reread.revision).toBe(1);
    expect(reread.archivedAt?.toISOString()).toBe(archivedAt.toISOString());
    expect(reread.labels).toEqual({ env: 'staging', team: 'core' });
  });

  it('refuses the global EntityManager, so no request shares an identity map', async () => {
    await expect(orm.em.find(SampleItem, {})).rejects.toThrow(/global EntityManager/);
  });

  it('turns a unique violation into a CONFLICT that names the constraint but not the value', async () => {
    const em = orm.em.fork();
    em.create(SampleItem, { name: 'taken-name', labels: {} });
    await em.flush();
    const again = orm.em.fork();
    again.create(SampleItem, { name: 'taken-name', labels: {} });
    const error = await again.flush().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UniqueConstraintViolationException);

    const mapped = toRuntrailError(error, 'sample item');
    expect(mapped).toBeInstanceOf(RuntrailError);
    expect(mapped.code).toBe('CONFLICT');
    expect(mapped.message).toMatch(/^sample item already exists \((sample_item_name_unique|sample_item\.name)\)$/);
    expect(mapped.message).not.toContain('taken-name');
    expect(JSON.stringify(mapped)).not.toContain('taken-name');
  });

  it('stores the column types of its driver', async () => {
    if (db.driver === 'sqlite') {
      const columns = await sql<{ name: string; type: string }>(`select name, type from pragma_table_info('sample_item')`);
      expect(Object.fromEntries(columns.map((c) => [c.name, c.type.toLowerCase()]))).toEqual({
        id: 'text',
        name: 'text',
        labels: 'json',
        revision: 'integer',
        created_at: 'datetime',
        archived_at: 'datetime',
      });
    } else {
      const columns = await sql<{ column_name: string; data_type: string }>(
        `select column_name, data_type from information_schema.columns where table_schema = ? and table_name = 'sample_item'`,
        ['sample_store'],
      );
      expect(Object.fromEntries(columns.map((c) => [c.column_name, c.data_type]))).toEqual({
        id: 'uuid',
        name: 'character varying',
        labels: 'jsonb',
        revision: 'integer',
        created_at: 'timestamp with time zone',
        archived_at: 'timestamp with time zone',
      });
    }
  });

  it('keeps every table, the migrations table included, in the service schema', async () => {
    const target = resolveDatabaseTarget({ service, databaseUrl: db.databaseUrl });
    if (target.driver === 'sqlite') {
      expect(existsSync(target.path)).toBe(true);
      expect(existsSync(dirname(target.path))).toBe(true);
      return;
    }
    const tables = await sql<{ table_schema: string; table_name: string }>(
      `select table_schema, table_name from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema') order by 2`,
    );
    expect(tables).toEqual([
      { table_schema: 'sample_store', table_name: 'mikro_orm_migrations' },
      { table_schema: 'sample_store', table_name: 'sample_item' },
    ]);
  });

  it('has committed migrations that match the entities exactly', async () => {
    const drift = await schemaDrift(samplePersistence(service), db.driver, testPostgresUrl());
    expect(drift).toEqual([]);
  });

  it('reports readiness with select 1', async () => {
    const health = new DatabaseHealth(orm, service);
    expect(await health.check()).toEqual({ ok: true });
    const closed = await open();
    await closed.close(true);
    const down = await new DatabaseHealth(closed, service).check(1_000);
    expect(down.ok).toBe(false);
  });
});
