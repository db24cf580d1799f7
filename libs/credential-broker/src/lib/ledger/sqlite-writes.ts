import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import type { EntityManager } from '@mikro-orm/core';

/**
 * The SQLite writes of this process, one after another. SQLite allows one writer per file and
 * better-sqlite3 waits for its lock synchronously, so a second concurrent writer in the same process
 * would block the event loop the first one needs to commit. PostgreSQL writes run concurrently.
 */
let queue: Promise<void> = Promise.resolve();

export function serialiseSqliteWrites<T>(em: EntityManager, work: () => Promise<T>): Promise<T> {
  if (!(em.getDriver() instanceof BetterSqliteDriver)) return work();
  const run = queue.then(work);
  queue = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}
