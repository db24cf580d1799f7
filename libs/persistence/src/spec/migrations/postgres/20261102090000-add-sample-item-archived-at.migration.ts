import { Migration } from '@mikro-orm/migrations';

export class Migration20261102090000_add_sample_item_archived_at extends Migration {
  override up(): void {
    this.addSql(`alter table "sample_item" add column "archived_at" timestamptz null;`);
  }

  override down(): void {
    this.addSql(`alter table "sample_item" drop column "archived_at";`);
  }
}
