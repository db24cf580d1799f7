import type { MikroORM } from '@mikro-orm/core';
import type { AbstractSqlConnection, Knex } from '@mikro-orm/postgresql';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { SqliteStatements } from './sqlite-statements';

export type AuditDriver = 'sqlite' | 'postgres';
export type SqlParam = string | number | boolean | null;
export type SqlRow = Record<string, unknown>;

/** How {@link AuditDb.prepared} runs a statement. */
export interface PreparedOptions {
  /**
   * PostgreSQL plans it with sorts disabled, so an ORDER BY ... LIMIT over partitions reads the
   * partitions' ordered index scans merged (MergeAppend) and stops after LIMIT rows, whatever the
   * estimates: a generic plan does not know the values, and with a few rows estimated per value it
   * would sort every matching row (every call that changed a busy resource) to return a page.
   * Costs a transaction (two more round trips).
   */
  readIndexOrder?: boolean;
}

/** How one driver runs SQL; `tx` is the open transaction, if any. */
interface SqlBackend {
  all(sql: string, params: SqlParam[], tx: Knex.Transaction | null): Promise<SqlRow[]>;
  prepared(sql: string, params: SqlParam[], tx: Knex.Transaction | null, options: PreparedOptions): Promise<SqlRow[]>;
  transaction<T>(work: (tx: Knex.Transaction | null) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * The audit store's SQL access, one dialect for both drivers (`?` placeholders). Raw batched SQL,
 * not ORM entities: ingest writes hundreds of rows per statement and must stay near a bare bulk
 * insert (P2). On SQLite it holds its own better-sqlite3 connection with cached prepared
 * statements (MikroORM's connection re-prepares and re-formats every statement for its logger,
 * which cost more than the inserts themselves); on PostgreSQL it uses the ORM's knex pool directly.
 */
export class AuditDb {
  /** How many rows one multi-row INSERT carries: SQLite allows 32,766 parameters per statement. */
  static readonly ROWS_PER_INSERT = 500;

  private constructor(
    private readonly backend: SqlBackend,
    readonly driver: AuditDriver,
    private readonly tx: Knex.Transaction | null = null,
  ) {}

  /** Opens the store of a migrated audit ORM (SQLite: a second connection to the same file). */
  static of(orm: MikroORM): AuditDb {
    const connection = orm.em.getConnection() as unknown as AbstractSqlConnection;
    if (orm.config.get('clientUrl')) return new AuditDb(new PostgresBackend(connection.getKnex()), 'postgres');
    const file = orm.config.get('dbName');
    if (!file || file === ':memory:') throw new Error('the audit store needs a SQLite file, not an in-memory database');
    return new AuditDb(new SqliteBackend(file), 'sqlite');
  }

  /** Rows of a query (or `[]` for a statement without RETURNING). Read numbers with {@link num}. */
  all<T extends SqlRow = SqlRow>(sql: string, params: SqlParam[] = []): Promise<T[]> {
    return this.backend.all(sql, params, this.tx) as Promise<T[]>;
  }

  /**
   * {@link all} for the read queries the API repeats with other values: on PostgreSQL a named
   * prepared statement, parsed once per pooled connection and, once PostgreSQL finds its generic
   * plan as cheap as the custom ones, planned once too (planning a query over every monthly
   * partition costs more than running it). Inside a transaction, and on SQLite (whose statements
   * are cached prepared statements anyway), the same as {@link all}. Only for a fixed set of SQL
   * texts: each text stays prepared on every connection of the pool.
   */
  prepared<T extends SqlRow = SqlRow>(sql: string, params: SqlParam[] = [], options: PreparedOptions = {}): Promise<T[]> {
    return this.backend.prepared(sql, params, this.tx, options) as Promise<T[]>;
  }

  async run(sql: string, params: SqlParam[] = []): Promise<void> {
    await this.backend.all(sql, params, this.tx);
  }

  /**
   * Inside a transaction: holds, until it ends, the lock of each AWS session named (by access key
   * id) against every other transaction that takes one of them. Taken before a transaction writes
   * anything, so a holder never waits for a lock while holding rows. PostgreSQL: transaction-level
   * advisory locks on 256 buckets of the key's hash, taken in bucket order (two transactions
   * never wait on each other's); SQLite: nothing to do, its write transactions run one at a time.
   */
  async lockSessions(accessKeyIds: string[]): Promise<void> {
    if (!this.tx) throw new Error('lockSessions needs a transaction');
    if (this.driver !== 'postgres' || accessKeyIds.length === 0) return;
    const keys = [...new Set(accessKeyIds)];
    // PostgreSQL evaluates a volatile select list after the sort: the locks are taken in bucket order.
    await this.run(
      `select pg_advisory_xact_lock(${SESSION_LOCK_CLASS}, s."bucket") from (
        select distinct hashtext(k) & 255 as "bucket" from unnest(array[${AuditDb.list(keys.length)}]::text[]) as k
      ) as s order by s."bucket"`,
      keys,
    );
  }

  /** Runs `work` in one transaction (or inside the current one). */
  transaction<T>(work: (db: AuditDb) => Promise<T>): Promise<T> {
    if (this.tx) return work(this);
    return this.backend.transaction((tx) => work(new AuditDb(this.backend, this.driver, tx ?? TX_MARK)));
  }

  close(): Promise<void> {
    return this.backend.close();
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

/** The advisory lock class of {@link AuditDb.lockSessions} (ASCII `rtas`: runtrail audit session). */
const SESSION_LOCK_CLASS = 0x72746173;

// SQLite has no transaction object: this marks "inside the transaction" for the nested AuditDb.
const TX_MARK = {} as Knex.Transaction;

/** What the pooled `pg` client offers beyond knex: named (prepared) statements. */
interface PgConnection {
  query(config: { name: string; text: string; values: SqlParam[] } | string): Promise<{ rows: SqlRow[] }>;
}

class PostgresBackend implements SqlBackend {
  /** SQL text -> its statement name and `$n` text. */
  private readonly statements = new Map<string, { name: string; text: string }>();

  constructor(private readonly knex: Knex) {}

  async all(sql: string, params: SqlParam[], tx: Knex.Transaction | null): Promise<SqlRow[]> {
    const result = (await (tx ?? this.knex).raw(sql, params)) as { rows?: SqlRow[] };
    return result.rows ?? [];
  }

  async prepared(sql: string, params: SqlParam[], tx: Knex.Transaction | null, options: PreparedOptions): Promise<SqlRow[]> {
    if (tx) return this.all(sql, params, tx);
    let statement = this.statements.get(sql);
    if (!statement) {
      // The name stands for the text: pg prepares it on a connection the first time it is used there.
      statement = { name: `audit_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`, text: this.knex.client.positionBindings(sql) as string };
      this.statements.set(sql, statement);
    }
    const client = this.knex.client;
    const connection = (await client.acquireConnection()) as PgConnection;
    try {
      if (!options.readIndexOrder) return (await connection.query({ ...statement, values: params })).rows;
      // SET LOCAL: the settings end with the transaction, the pooled connection keeps its defaults.
      await connection.query('begin; set local enable_sort = off; set local enable_incremental_sort = off');
      try {
        const { rows } = await connection.query({ ...statement, values: params });
        await connection.query('commit');
        return rows;
      } catch (error) {
        await connection.query('rollback').catch(() => undefined);
        throw error;
      }
    } finally {
      await client.releaseConnection(connection);
    }
  }

  transaction<T>(work: (tx: Knex.Transaction | null) => Promise<T>): Promise<T> {
    return this.knex.transaction((trx) => work(trx));
  }

  async close(): Promise<void> {
    // the pool belongs to the ORM, which closes it
  }
}

/**
 * One better-sqlite3 connection. Statements run synchronously, but a transaction spans awaits, so
 * work is queued: while a transaction is open nothing else runs on the connection.
 */
class SqliteBackend implements SqlBackend {
  private readonly db: Database.Database;
  private readonly statements: SqliteStatements;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(file: string) {
    this.db = new Database(file);
    // WAL + synchronous=NORMAL: a committed batch survives a process crash; an OS crash may lose the
    // last batches, which a re-import or the poller's overlap brings back (deduplicated on eventID).
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.statements = new SqliteStatements(this.db);
  }

  all(sql: string, params: SqlParam[], tx: Knex.Transaction | null): Promise<SqlRow[]> {
    if (tx) return Promise.resolve(this.statements.execute(sql, params));
    return this.serialised(async () => this.statements.execute(sql, params));
  }

  prepared(sql: string, params: SqlParam[], tx: Knex.Transaction | null): Promise<SqlRow[]> {
    return this.all(sql, params, tx);
  }

  transaction<T>(work: (tx: Knex.Transaction | null) => Promise<T>): Promise<T> {
    return this.serialised(async () => {
      this.db.exec('begin immediate');
      try {
        const result = await work(null);
        this.db.exec('commit');
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('rollback');
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    this.db.close();
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
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
