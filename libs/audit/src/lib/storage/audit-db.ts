import type { MikroORM } from '@mikro-orm/core';
import type { AbstractSqlConnection } from '@mikro-orm/postgresql';

/** The transaction handle MikroORM's connection takes (a knex transaction). */
type Trx = Parameters<AbstractSqlConnection['execute']>[3];

export type AuditDriver = 'sqlite' | 'postgres';
export type SqlParam = string | number | boolean | null;
export type SqlRow = Record<string, unknown>;

/**
 * The audit store's SQL access, shared by both drivers (`?` placeholders; knex numbers them for
 * PostgreSQL). Raw batched SQL instead of ORM entities: ingest writes hundreds of rows per
 * statement and must stay near the speed of a bare bulk insert (P2).
 */
export class AuditDb {
  /** How many rows one multi-row INSERT carries: SQLite allows 32,766 parameters per statement. */
  static readonly ROWS_PER_INSERT = 500;

  private constructor(
    private readonly connection: AbstractSqlConnection,
    readonly driver: AuditDriver,
    private readonly trx?: Trx,
  ) {}

  static of(orm: MikroORM): AuditDb {
    const connection = orm.em.getConnection() as unknown as AbstractSqlConnection;
    const driver: AuditDriver = orm.config.get('clientUrl') ? 'postgres' : 'sqlite';
    return new AuditDb(connection, driver);
  }

  /** Rows of a query. PostgreSQL `bigint` columns come back as strings: read them with {@link num}. */
  async all<T extends SqlRow = SqlRow>(sql: string, params: SqlParam[] = []): Promise<T[]> {
    return this.connection.execute<T[]>(sql, params, 'all', this.trx);
  }

  async run(sql: string, params: SqlParam[] = []): Promise<void> {
    await this.connection.execute(sql, params, 'run', this.trx);
  }

  /** Runs `work` in one transaction (or inside the current one). */
  async transaction<T>(work: (db: AuditDb) => Promise<T>): Promise<T> {
    if (this.trx) return work(this);
    return this.connection.transactional((trx) => work(new AuditDb(this.connection, this.driver, trx)));
  }

  /** `(?, ?, …), (?, ?, …)` for `rows` rows of `columns` values. */
  static placeholders(rows: number, columns: number): string {
    const one = `(${new Array<string>(columns).fill('?').join(', ')})`;
    return new Array<string>(rows).fill(one).join(', ');
  }

  /** `?, ?, ?` for an IN list. */
  static list(count: number): string {
    return new Array<string>(count).fill('?').join(', ');
  }
}

/** A numeric column as a number (PostgreSQL returns `bigint` as a string). */
export function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

/** A nullable numeric column. */
export function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value);
}

/** A nullable text column. */
export function str(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** A JSON column: `jsonb` arrives parsed from PostgreSQL, text from SQLite. */
export function json<T>(value: unknown): T | null {
  if (value === null || value === undefined) return null;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}
