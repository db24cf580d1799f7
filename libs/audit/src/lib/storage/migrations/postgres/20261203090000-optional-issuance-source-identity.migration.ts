import { Migration } from '@mikro-orm/migrations';

/**
 * PostgreSQL half of Migration20261203090000_optional_issuance_source_identity: SourceIdentity is
 * opt-in per integration, so `credentials.v1.issued` carries null where it was not sent. Existing
 * rows keep their run id.
 */
export class Migration20261203090000_optional_issuance_source_identity extends Migration {
  override up(): void {
    this.addSql(`alter table "issuance" alter column "source_identity" drop not null;`);
  }

  override down(): void {
    this.addSql(`update "issuance" set "source_identity" = "run_id" where "source_identity" is null;`);
    this.addSql(`alter table "issuance" alter column "source_identity" set not null;`);
  }
}
