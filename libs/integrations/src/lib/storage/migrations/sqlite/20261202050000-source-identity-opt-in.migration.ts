import { Migration } from '@mikro-orm/migrations';

/**
 * SQLite half of Migration20261202050000_source_identity_opt_in: SourceIdentity becomes a per-integration
 * choice. Integrations saved before were verified with sts:SetSourceIdentity and always sent it, so
 * they keep it (true); new ones default to off in the API. Accounts gain their OIDC audience.
 */
export class Migration20261202050000_source_identity_opt_in extends Migration {
  override up(): void {
    this.addSql(
      `alter table \`aws_integration\` add column \`source_identity\` integer not null default true;`,
    );
    this.addSql(`alter table \`account\` add column \`oidc_audience\` text null;`);
  }
}
