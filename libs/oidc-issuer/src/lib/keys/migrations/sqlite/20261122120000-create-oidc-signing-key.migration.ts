import { Migration } from '@mikro-orm/migrations';

export class Migration20261122120000_create_oidc_signing_key extends Migration {
  override up(): void {
    this.addSql(`
      create table "oidc_signing_key" (
        "kid" text not null,
        "alg" text not null,
        "status" text not null,
        "public_jwk" json not null,
        "encrypted_private_key" text not null,
        "kek_id" text not null,
        "created_at" datetime not null,
        "activated_at" datetime null,
        "retired_at" datetime null,
        "unpublish_at" datetime null,
        primary key ("kid"),
        check ("status" in ('next', 'active', 'retired'))
      );`);
    // At most one key signs and at most one waits: the guards that make concurrent rotation safe.
    this.addSql(`create unique index "oidc_signing_key_one_active" on "oidc_signing_key" ("status") where "status" = 'active';`);
    this.addSql(`create unique index "oidc_signing_key_one_next" on "oidc_signing_key" ("status") where "status" = 'next';`);
  }

  override down(): void {
    this.addSql(`drop table if exists "oidc_signing_key";`);
  }
}
