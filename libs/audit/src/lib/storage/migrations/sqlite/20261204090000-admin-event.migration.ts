import { Migration } from '@mikro-orm/migrations';
import { adminEventTables } from '../../tables.sql';

/** The admin log: every admin change to accounts, keys, callers, integrations and attachments. */
export class Migration20261204090000_admin_event extends Migration {
  override up(): void {
    for (const statement of adminEventTables('sqlite')) this.addSql(statement);
  }

  override down(): void {
    this.addSql('drop table if exists "admin_event";');
  }
}
