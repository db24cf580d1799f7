import type { EntityManager, QueryResult } from '@mikro-orm/core';

/**
 * One statement on the ORM's connection, the rows it changed. The broker's per-issuance writes go
 * this way rather than through entities: the ORM's query building and mapping cost more CPU than the
 * statements (broker profile, bench/RESULTS.md P1b). Dates are converted as the ORM stores them
 * (SQLite: epoch ms); other values are passed as they are.
 */
export async function executeWrite(em: EntityManager, sql: string, params: readonly unknown[]): Promise<number> {
  const platform = em.getPlatform();
  const values = params.map((v) => (v instanceof Date ? platform.processDateProperty(v) : v));
  const result = (await em.getConnection().execute(sql, values, 'run')) as QueryResult;
  return result.affectedRows;
}

/** An entity property as its column (the ORM's underscore naming). */
export function columnOf(property: string): string {
  return property.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `insert into "<table>" (<columns>) values (?, …) on conflict ("<key>") do nothing` for `row`'s properties. */
export function insertIgnoringSql(table: string, key: string, properties: readonly string[]): string {
  const columns = properties.map((p) => `"${columnOf(p)}"`).join(', ');
  return `insert into "${table}" (${columns}) values (${properties.map(() => '?').join(', ')}) on conflict ("${key}") do nothing`;
}
