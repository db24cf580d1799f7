import type { EntityManager } from '@mikro-orm/core';
import { Test } from '@nestjs/testing';
import { Client } from 'pg';
import { getEntityManagerToken, PersistenceModule } from '@runtrail/persistence';
import { createTestDatabase, postgresSkipReason, until, type TestDatabase } from '@runtrail/testing';
import { credentialBrokerPersistence } from '../credential-broker.persistence';
import { IssuanceLedger } from './issuance.ledger';

// The ledger's batched statements on a real PostgreSQL keep their cost per row as the table grows.
// (On SQLite each call is its own statement by primary key: nothing to show there.)
const KEY = { runId: '', phase: 'PLANNING', integrationId: '01HZY1V6QK3M7W3X9T2B5C8D4E' };
const T0 = new Date('2026-11-22T10:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

(postgresSkipReason() ? describe.skip : describe)('credential-broker ledger on PostgreSQL', () => {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase('ledger_plans');
  });
  afterAll(() => database?.drop());

  it('looks each row of a batched transition up by key however small the table was when the connection first ran it', async () => {
    // A fresh ledger: its first batches run on a nearly empty table, then the table grows.
    const url = database!.url;
    const ledgerApp = await Test.createTestingModule({
      imports: [PersistenceModule.forService({ ...credentialBrokerPersistence, databaseUrl: url })],
      providers: [IssuanceLedger],
    })
      .compile()
      .then((m) => m.init());
    const small = ledgerApp.get(IssuanceLedger);
    const transitionBatch = async (batch: number, size: number) => {
      const keys = Array.from({ length: size }, (_, i) => ({ ...KEY, runId: `${batch}-${i}` }));
      const claims = await Promise.all(
        keys.map((k) =>
          small.claim({ ...k, mode: 'platform', sessionName: 's', now: at(0), leaseMs: 10_000 }),
        ),
      );
      const tokens = claims.map((c) => (c.kind === 'fresh' ? c.claimToken : ''));
      const assumed = await Promise.all(
        keys.map((k, i) => small.recordAssumed(k, tokens[i]!, 'ASIAPLAN', at(900_000), at(1))),
      );
      expect(assumed.every(Boolean)).toBe(true);
    };
    // Enough batches, one after another, for each pooled connection to have run the statement
    // more than five times (when PostgreSQL may keep a prepared statement's generic plan).
    for (let batch = 0; batch < 60; batch++) await transitionBatch(batch, 2);
    const em = ledgerApp.get<EntityManager>(getEntityManagerToken('credential-broker'));
    await em.getConnection().execute(
      `insert into "issuance" select 'grown:' || n, 'grown', 'PLANNING', 'i', 'platform', 's', 'delivered', 't',
           now(), null, null, 0, null, now(), now() from generate_series(1, 20000) as n`,
    );
    for (let batch = 100; batch < 120; batch++) await transitionBatch(batch, 10);
    await ledgerApp.close();

    // The table's statistics, flushed by each backend as it exits.
    const stats = new Client({ connectionString: url });
    await stats.connect();
    try {
      const othersOpen = async () =>
        (
          await stats.query(
            'select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
          )
        ).rows[0].n;
      await until(async () => (await othersOpen()) === 0, {
        timeoutMs: 10_000,
        what: "the ledger's connections closed",
      });
      const { rows } = await stats.query(
        `select seq_tup_read::int as read from pg_stat_user_tables where relname = 'issuance'`,
      );
      // At most the small table's scans; not one of the grown table (20,000 rows) per batch.
      expect(rows[0].read).toBeLessThan(20_000);
    } finally {
      await stats.end();
    }
  });
});
