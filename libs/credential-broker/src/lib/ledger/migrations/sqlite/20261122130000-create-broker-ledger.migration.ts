import { Migration } from '@mikro-orm/migrations';

export class Migration20261122130000_create_broker_ledger extends Migration {
  override up(): void {
    this.addSql(`
      create table "issuance" (
        "key" text not null,
        "run_id" text not null,
        "phase" text not null,
        "integration_id" text not null,
        "mode" text not null,
        "session_name" text not null,
        "state" text not null,
        "claim_token" text not null,
        "claimed_until" datetime not null,
        "access_key_id" text null,
        "expires_at" datetime null,
        "refreshes" integer not null,
        "failure_code" text null,
        "created_at" datetime not null,
        "updated_at" datetime not null,
        primary key ("key")
      );`);
    this.addSql(`create index "issuance_run_id_index" on "issuance" ("run_id");`);
    this.addSql(`
      create table "run_state" (
        "run_id" text not null,
        "phase" text not null,
        "at" datetime not null,
        "account" text not null,
        "space_id" text not null,
        "caller_type" text not null,
        "caller_id" text not null,
        "caller_slug" text not null,
        "run_type" text not null,
        "worker_id" text not null,
        "worker_public_key" json not null,
        "updated_at" datetime not null,
        primary key ("run_id")
      );`);
  }

  override down(): void {
    this.addSql(`drop table if exists "issuance";`);
    this.addSql(`drop table if exists "run_state";`);
  }
}
