import { Migration } from '@mikro-orm/migrations';
import { trailSourceTables } from '../../tables.sql';

/** Trail sources: a reader role per customer AWS account, and per region its checkpoint and health. */
export class Migration20261205090000_trail_source extends Migration {
  override up(): void {
    for (const statement of trailSourceTables('sqlite')) this.addSql(statement);
  }

  override down(): void {
    this.addSql('drop table if exists "trail_source_region";');
    this.addSql('drop table if exists "trail_source";');
  }
}
