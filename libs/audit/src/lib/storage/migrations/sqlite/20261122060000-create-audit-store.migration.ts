import { Migration } from '@mikro-orm/migrations';
import { AUDIT_TABLES, auditTables } from '../../tables.sql';

// Unqualified names: on PostgreSQL the connection's search_path is the audit schema.
export class Migration20261122060000_create_audit_store extends Migration {
  override up(): void {
    for (const statement of auditTables('sqlite')) this.addSql(statement);
  }

  override down(): void {
    for (const table of AUDIT_TABLES) this.addSql(`drop table if exists "${table}";`);
  }
}
