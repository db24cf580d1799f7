import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { EntityManager, EntityRepository, MikroORM, RequestContext } from '@mikro-orm/core';
import { InjectEntityManager, InjectMikroORM, InjectRepository, getMikroORMToken } from '@mikro-orm/nestjs';
import { describeEachDatabase, type DatabaseUnderTest } from '@runtrail/testing';
import { SampleItem } from '../spec/sample-item.entity';
import { samplePersistence } from '../spec/sample.persistence';
import { DatabaseHealth, databaseHealthToken, InjectDatabaseHealth } from './database-health';
import { PersistenceModule } from './persistence.module';

// Two services of one process, each with the same entity and table name, like two feature libs.
@Injectable()
class AlphaStore {
  constructor(
    @InjectRepository(SampleItem, 'alpha') readonly items: EntityRepository<SampleItem>,
    @InjectEntityManager('alpha') readonly em: EntityManager,
    @InjectDatabaseHealth('alpha') readonly health: DatabaseHealth,
  ) {}
}

@Injectable()
class BetaStore {
  constructor(
    @InjectRepository(SampleItem, 'beta') readonly items: EntityRepository<SampleItem>,
    @InjectEntityManager('beta') readonly em: EntityManager,
    @InjectMikroORM('beta') readonly orm: MikroORM,
  ) {}
}

describeEachDatabase('PersistenceModule', (db) => {
  // PostgreSQL: both services in the same database (separate schemas). SQLite has no schemas, so
  // the services share one URL with a {service} placeholder: a file each.
  const urlOf = (database: DatabaseUnderTest) =>
    database.driver === 'postgres' ? database.databaseUrl : database.databaseUrl.replace(/[^/]+\.sqlite$/, '{service}.sqlite');

  async function start(options: { migrateOnStart?: boolean } = {}): Promise<INestApplicationContext> {
    const databaseUrl = urlOf(db);
    const moduleRef = await Test.createTestingModule({
      imports: [
        PersistenceModule.forService({ ...samplePersistence('alpha'), databaseUrl, ...options }),
        PersistenceModule.forService({ ...samplePersistence('beta'), databaseUrl, ...options }),
      ],
      providers: [AlphaStore, BetaStore],
    }).compile();
    return moduleRef.init();
  }

  let app: INestApplicationContext | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('runs migrations at start, and each service reads only its own rows', async () => {
    app = await start();
    const alpha = app.get(AlphaStore);
    const beta = app.get(BetaStore);

    await RequestContext.create(alpha.em, async () => {
      alpha.items.create({ name: 'only-in-alpha', labels: {} });
      await alpha.em.flush();
    });
    // Both services in one request context: each repository must still use its own ORM.
    await RequestContext.create([alpha.em, beta.em], async () => {
      expect(await alpha.items.count()).toBe(1);
      expect(await beta.items.count()).toBe(0);
      beta.items.create({ name: 'only-in-beta', labels: {} });
      await beta.em.flush();
      expect(await beta.items.findOne({ name: 'only-in-alpha' })).toBeNull();
    });
    expect(await RequestContext.create(alpha.em, () => alpha.items.findAll())).toHaveLength(1);

    if (db.driver === 'postgres') {
      const tables = await beta.orm.em
        .getConnection()
        .execute<Array<{ schema: string; name: string }>>(
          `select table_schema as schema, table_name as name from information_schema.tables
           where table_schema not in ('pg_catalog', 'information_schema') order by 1, 2`,
        );
      expect(tables).toEqual([
        { schema: 'alpha', name: 'mikro_orm_migrations' },
        { schema: 'alpha', name: 'sample_item' },
        { schema: 'beta', name: 'mikro_orm_migrations' },
        { schema: 'beta', name: 'sample_item' },
      ]);
    }
  });

  it('exposes a readiness check per service', async () => {
    app = await start();
    expect(await app.get(AlphaStore).health.isReachable()).toBe(true);
    const beta = app.get<DatabaseHealth>(databaseHealthToken('beta'));
    expect(beta.service).toBe('beta');
    expect(await beta.isReachable()).toBe(true);
  });

  it('keeps data and applies nothing twice when the app restarts', async () => {
    app = await start();
    const before = await RequestContext.create(app.get(AlphaStore).em, () => app!.get(AlphaStore).items.count());
    await app.close();

    app = await start();
    const alpha = app.get(AlphaStore);
    await RequestContext.create(alpha.em, async () => {
      expect(await alpha.items.count()).toBe(before);
      const migrations = await alpha.em.getConnection().execute<Array<{ name: string }>>('select name from mikro_orm_migrations');
      expect(migrations).toHaveLength(2);
    });
  });

  it('leaves the schema alone with migrateOnStart: false', async () => {
    const fresh = await db.newDatabaseUrl('nomigrate');
    const moduleRef = await Test.createTestingModule({
      imports: [PersistenceModule.forService({ ...samplePersistence('gamma'), databaseUrl: fresh, migrateOnStart: false })],
    }).compile();
    app = await moduleRef.init();
    const orm = app.get<MikroORM>(getMikroORMToken('gamma'));
    expect(await orm.getMigrator().getPendingMigrations()).toHaveLength(2);
    expect(await app.get<DatabaseHealth>(databaseHealthToken('gamma')).isReachable()).toBe(true);
  });
});
