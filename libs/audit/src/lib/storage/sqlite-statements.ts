import type Database from 'better-sqlite3';
import type { SqlParam, SqlRow } from './audit-db';

const MAX_CACHED = 256;

/**
 * Prepared statements by SQL text. Batches of the same size share one text, so the 500-row INSERT
 * is compiled once per process instead of once per batch.
 */
export class SqliteStatements {
  private readonly cache = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  execute(sql: string, params: SqlParam[]): SqlRow[] {
    const statement = this.prepare(sql);
    // SQLite has no boolean type: true/false are stored as 1/0.
    const values = params.map((p) => (p === true ? 1 : p === false ? 0 : p));
    if (statement.reader) return statement.all(values) as SqlRow[];
    statement.run(values);
    return [];
  }

  private prepare(sql: string): Database.Statement {
    let statement = this.cache.get(sql);
    if (statement) return statement;
    statement = this.db.prepare(sql);
    if (this.cache.size >= MAX_CACHED) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(sql, statement);
    return statement;
  }
}
