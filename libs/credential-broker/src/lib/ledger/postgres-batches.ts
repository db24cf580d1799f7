import type { EntityManager } from '@mikro-orm/core';
import type { AbstractSqlConnection } from '@mikro-orm/knex';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { StatementBatcher } from './statement-batcher';

/** What node-postgres' client offers that the batches use. */
interface PgClient {
  query(config: { name?: string; text: string; values: unknown[] }): Promise<{ rows: Array<Record<string, unknown>> }>;
}

/** True when the ORM talks to PostgreSQL (the batched statements below); SQLite keeps one statement per call. */
export function isPostgres(em: EntityManager): boolean {
  return em.getDriver() instanceof PostgreSqlDriver;
}

/**
 * A batcher of one PostgreSQL statement whose parameters are one array per column (`unnest`), so
 * its text is the same for any batch size: with a `name`, node-postgres prepares it once per
 * connection and afterwards only binds the arrays (for statements whose plan cannot go stale). It
 * runs on a connection of the ORM's pool (the service's search_path), without the ORM's query
 * formatting. `returning` names the key column.
 */
export function postgresBatcher<I>(
  em: EntityManager,
  statement: { name?: string; text: string },
  keyOf: (item: I) => string,
  columnsOf: (items: I[]) => unknown[][],
): StatementBatcher<I> {
  return new StatementBatcher<I>(async (items) => {
    // knex's acquire (a pool timeout is a KnexTimeoutError, which toRuntrailError calls transient)
    const knex = (em.getConnection() as AbstractSqlConnection).getKnex();
    const client = (await knex.client.acquireConnection()) as PgClient;
    try {
      const result = await client.query({ ...statement, values: columnsOf(items) });
      return new Set(result.rows.map((row) => String(row['key'])));
    } catch (error) {
      // As the ORM's own queries would raise it: a deadlock or serialization failure is a
      // DeadlockException (transient), a lost connection keeps its code.
      throw error instanceof Error ? em.getPlatform().getExceptionConverter().convertException(error) : error;
    } finally {
      await knex.client.releaseConnection(client);
    }
  }, keyOf);
}

/** A column of timestamps as ISO strings (unambiguous to `timestamptz[]`). */
export function isoColumn(dates: ReadonlyArray<Date | null>): Array<string | null> {
  return dates.map((d) => (d ? d.toISOString() : null));
}
