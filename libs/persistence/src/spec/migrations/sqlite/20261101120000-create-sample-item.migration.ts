import { Migration } from '@mikro-orm/migrations';

export class Migration20261101120000_create_sample_item extends Migration {
  override up(): void {
    this.addSql(`
      create table "sample_item" (
        "id" text not null,
        "name" text not null,
        "labels" json not null,
        "revision" integer not null,
        "created_at" datetime not null,
        primary key ("id")
      );`);
    this.addSql(`create unique index "sample_item_name_unique" on "sample_item" ("name");`);
  }

  override down(): void {
    this.addSql(`drop table if exists "sample_item";`);
  }
}
