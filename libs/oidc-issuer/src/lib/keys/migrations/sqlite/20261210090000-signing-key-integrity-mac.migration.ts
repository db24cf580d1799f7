import { Migration } from '@mikro-orm/migrations';

// Existing rows keep a null MAC: SQL cannot compute it (it needs OIDC_KEK). The service computes it at
// start for a row whose private key decrypts with the KEK and matches its public key, and refuses the rest.
export class Migration20261210090000_signing_key_integrity_mac extends Migration {
  override up(): void {
    this.addSql(`alter table "oidc_signing_key" add column "integrity_mac" text null;`);
  }

  override down(): void {
    this.addSql(`alter table "oidc_signing_key" drop column "integrity_mac";`);
  }
}
