import type { MikroORM } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';

/**
 * Applies the pending committed migrations of `orm` and returns the names applied (empty when the
 * database was already up to date). All pending migrations run in one transaction.
 *
 * On PostgreSQL an advisory lock keyed by the service's schema serialises replicas that start at
 * the same time, so only one of them applies a migration and the others find nothing pending.
 */
export async function runMigrations(orm: MikroORM): Promise<string[]> {
  const migrate = async () => (await orm.getMigrator().up()).map((migration) => migration.name);
  const driver = orm.em.getDriver();
  if (!(driver instanceof PostgreSqlDriver)) return migrate();
  const key = `runtrail:migrations:${orm.config.get('dbName')}:${orm.config.get('schema') ?? 'public'}`;
  // The lock lives in its own transaction on its own pooled connection; the migrator uses others.
  return driver
    .getConnection()
    .getKnex()
    .transaction(async (trx) => {
      await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [key]);
      return migrate();
    });
}
