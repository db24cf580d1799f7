import { MikroORM } from '@mikro-orm/core';
import { databaseOptionsFor } from '@runtrail/persistence';
import { describeEachDatabase } from '@runtrail/testing';
import { auditPersistence } from '../audit.persistence';
import { loadS3Checkpoint, recordS3File } from '../trail-sources/trail-source.store';
import { AuditDb } from './audit-db';

const SOURCE = '01HND497T9JKR76MR3KA2CDJHP';
const KEY = 'AWSLogs/222222222222/CloudTrail/us-east-1/2026/12/02/222222222222_CloudTrail_us-east-1_20261202T0700Z_a1B2c3D4e5F6g7H8.json.gz';

// Stored data survives each migration: a trail source polled with LookupEvents before S3 delivery
// existed keeps its checkpoint and health, and gains an empty S3 key checkpoint.
describeEachDatabase('audit migrations keep stored rows working', (db) => {
  let orm: MikroORM;

  beforeAll(async () => {
    orm = await MikroORM.init(databaseOptionsFor({ ...auditPersistence, databaseUrl: db.databaseUrl }));
  });
  afterAll(() => orm?.close(true));

  it("adds the S3 key checkpoint to trail sources' regions, keeping their LookupEvents checkpoint and health; down removes it", async () => {
    const migrator = orm.getMigrator();
    await migrator.up({ to: 'Migration20261205090000_trail_source' });
    const connection = orm.em.getConnection();
    await connection.execute(
      `insert into "trail_source_region" ("source_id", "region", "checkpoint_ms", "last_success_at", "events_ingested") values (?, 'us-east-1', 1000, 2000, 42)`,
      [SOURCE],
    );
    expect((await migrator.up({ to: 'Migration20261206090000_trail_source_s3_checkpoint' })).map((m) => m.name)).toContain('Migration20261206090000_trail_source_s3_checkpoint');
    const store = AuditDb.of(orm);
    try {
      expect(await loadS3Checkpoint(store, SOURCE, 'us-east-1')).toEqual({ key: null, ms: 1000 });
      await recordS3File(store, { sourceId: SOURCE, region: 'us-east-1' }, { previousKey: null, key: KEY, deliveredMs: 5000, inserted: 3 });
      expect(await loadS3Checkpoint(store, SOURCE, 'us-east-1')).toEqual({ key: KEY, ms: 5000 });
      const [row] = await store.all(`select "events_ingested", "last_success_at" from "trail_source_region" where "source_id" = ?`, [SOURCE]);
      expect([Number(row?.['events_ingested']), Number(row?.['last_success_at'])]).toEqual([45, 2000]);
    } finally {
      await store.close();
    }
    expect((await migrator.down()).map((m) => m.name)).toEqual(['Migration20261206090000_trail_source_s3_checkpoint']);
    const [after] = await connection.execute<Array<Record<string, unknown>>>(`select * from "trail_source_region" where "source_id" = ?`, [SOURCE]);
    expect(after).not.toHaveProperty('s3_checkpoint_key');
    expect(Number(after?.['events_ingested'])).toBe(45);
    await migrator.up();
  });
});
