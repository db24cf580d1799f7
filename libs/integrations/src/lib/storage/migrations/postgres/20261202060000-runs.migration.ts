import { Migration } from '@mikro-orm/migrations';

/** PostgreSQL half of Migration20261202060000_runs: the runs API's table; API key roles gain `scheduler`. */
export class Migration20261202060000_runs extends Migration {
  override up(): void {
    this.addSql(
      `create table "run" ("id" varchar(26) not null, "account" varchar(40) not null, "caller_id" varchar(26) not null, "caller_type" varchar(8) not null, "caller_slug" varchar(64) not null, "space_id" varchar(64) not null, "run_type" varchar(16) not null, "worker_id" varchar(64) not null, "worker_public_key" jsonb not null, "phase" varchar(16) not null, "terminal" boolean not null, "phase_at" timestamptz not null, "deadline" timestamptz not null, "created_by" varchar(26) not null, "created_at" timestamptz not null, "version" int not null, constraint "run_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "run_caller_index" on "run" ("caller_id");`);
    this.addSql(`create index "run_open_deadline_index" on "run" ("terminal", "deadline");`);
    this.addSql(`alter table "api_key" alter column "role" type varchar(16) using ("role"::varchar(16));`);
  }

  override down(): void {
    this.addSql(`drop table if exists "run" cascade;`);
    this.addSql(`alter table "api_key" alter column "role" type varchar(8) using ("role"::varchar(8));`);
  }
}
