import { Migration } from '@mikro-orm/migrations';

// Unqualified names: the connection's search_path is the service's schema.
export class Migration20261122120000_create_oidc_signing_key extends Migration {
  override up(): void {
    this.addSql(`
      create table "oidc_signing_key" (
        "kid" varchar(64) not null,
        "alg" varchar(8) not null,
        "status" varchar(16) not null,
        "public_jwk" jsonb not null,
        "encrypted_private_key" text not null,
        "kek_id" varchar(32) not null,
        "created_at" timestamptz not null,
        "activated_at" timestamptz null,
        "retired_at" timestamptz null,
        "unpublish_at" timestamptz null,
        constraint "oidc_signing_key_pkey" primary key ("kid"),
        constraint "oidc_signing_key_status_check" check ("status" in ('next', 'active', 'retired'))
      );`);
    // At most one key signs and at most one waits: the guards that make concurrent rotation safe.
    this.addSql(`create unique index "oidc_signing_key_one_active" on "oidc_signing_key" ("status") where "status" = 'active';`);
    this.addSql(`create unique index "oidc_signing_key_one_next" on "oidc_signing_key" ("status") where "status" = 'next';`);
  }

  override down(): void {
    this.addSql(`drop table if exists "oidc_signing_key" cascade;`);
  }
}
