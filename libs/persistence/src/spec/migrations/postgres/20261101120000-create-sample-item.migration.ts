import { Migration } from '@mikro-orm/migrations';

// Unqualified names: the connection's search_path is the service's schema.
export class Migration20261101120000_create_sample_item extends Migration {
  override up(): void {
    this.addSql(`
      create table "sample_item" (
        "id" uuid not null,
        "name" varchar(100) not null,
        "labels" jsonb not null,
        "revision" int not null,
        "created_at" timestamptz not null,
        constraint "sample_item_pkey" primary key ("id")
      );`);
    this.addSql(`alter table "sample_item" add constraint "sample_item_name_unique" unique ("name");`);
  }

  override down(): void {
    this.addSql(`drop table if exists "sample_item" cascade;`);
  }
}
