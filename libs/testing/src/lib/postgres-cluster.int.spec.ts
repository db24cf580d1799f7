import { existsSync } from 'node:fs';
import { knex } from '@mikro-orm/postgresql';
import { postgresBinDir, startPostgresCluster } from './postgres-cluster';
import { createTestDatabase, postgresSkipReason, testPostgresUrl } from './test-postgres';

const withPostgres = testPostgresUrl() ? describe : describe.skip;
if (!testPostgresUrl()) console.warn(`PostgreSQL harness tests skipped: ${postgresSkipReason()}`);

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = knex({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  try {
    return (await client.raw(sql)).rows as T[];
  } finally {
    await client.destroy();
  }
}

withPostgres('PostgreSQL test harness', () => {
  it('creates an empty database per call and drops it with its connections', async () => {
    const first = await createTestDatabase('Harness-Check');
    const second = await createTestDatabase('harness');
    expect(first.name).toMatch(/^harness_check_[0-9a-f]{10}$/);
    expect(first.url).not.toBe(second.url);
    expect(await query<{ db: string }>(first.url, 'select current_database() as db')).toEqual([{ db: first.name }]);

    await first.drop();
    await second.drop();
    await expect(query(first.url, 'select 1')).rejects.toThrow(/does not exist/);
  });

  it('starts a cluster of its own on a random port and removes every trace on stop', async () => {
    expect(postgresBinDir()).toBeDefined();
    const cluster = await startPostgresCluster();
    try {
      expect(cluster.url).toBe(`postgres://postgres@127.0.0.1:${cluster.port}`);
      expect(cluster.url).not.toBe(testPostgresUrl());
      const [row] = await query<{ version: string }>(`${cluster.url}/postgres`, "select current_setting('server_version') as version");
      expect(row?.version).toMatch(/^\d+/);
    } finally {
      await cluster.stop();
    }
    expect(existsSync(cluster.dir)).toBe(false);
    await expect(query(`${cluster.url}/postgres`, 'select 1')).rejects.toThrow(/ECONNREFUSED/);
  });
});
