import { Migration } from '@mikro-orm/migrations';

// Unqualified names: the connection's search_path is the service's schema.
export class Migration20261122130000_create_broker_ledger extends Migration {
  override up(): void {
    this.addSql(`
      create table "issuance" (
        "key" varchar(120) not null,
        "run_id" varchar(26) not null,
        "phase" varchar(16) not null,
        "integration_id" varchar(26) not null,
        "mode" varchar(16) not null,
        "session_name" varchar(64) not null,
        "state" varchar(16) not null,
        "claim_token" varchar(36) not null,
        "claimed_until" timestamptz not null,
        "access_key_id" varchar(128) null,
        "expires_at" timestamptz null,
        "refreshes" int not null,
        "failure_code" varchar(32) null,
        "created_at" timestamptz not null,
        "updated_at" timestamptz not null,
        constraint "issuance_pkey" primary key ("key")
      );`);
    this.addSql(`create index "issuance_run_id_index" on "issuance" ("run_id");`);
    this.addSql(`
      create table "run_state" (
        "run_id" varchar(26) not null,
        "phase" varchar(16) not null,
        "at" timestamptz not null,
        "account" varchar(40) not null,
        "space_id" varchar(64) not null,
        "caller_type" varchar(8) not null,
        "caller_id" varchar(26) not null,
        "caller_slug" varchar(64) not null,
        "run_type" varchar(16) not null,
        "worker_id" varchar(64) not null,
        "worker_public_key" jsonb not null,
        "updated_at" timestamptz not null,
        constraint "run_state_pkey" primary key ("run_id")
      );`);
  }

  override down(): void {
    this.addSql(`drop table if exists "issuance" cascade;`);
    this.addSql(`drop table if exists "run_state" cascade;`);
  }
}
