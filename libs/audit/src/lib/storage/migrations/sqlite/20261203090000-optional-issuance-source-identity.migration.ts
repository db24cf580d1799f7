import { Migration } from '@mikro-orm/migrations';

const COLUMNS = [
  'id',
  'run_id',
  'account',
  'space_id',
  'caller_id',
  'integration_id',
  'role_arn',
  'phase',
  'scope',
  'mode',
  'access_key_id',
  'session_name',
  'source_identity',
  'issued_at',
  'expires_at',
  'assume_event_id',
]
  .map((c) => `"${c}"`)
  .join(', ');

/**
 * SQLite half of Migration20261203090000_optional_issuance_source_identity: SourceIdentity is
 * opt-in per integration, so `credentials.v1.issued` carries null where it was not sent. SQLite
 * cannot drop a NOT NULL in place: the table is rebuilt, its rows copied and its indexes made again.
 */
export class Migration20261203090000_optional_issuance_source_identity extends Migration {
  override up(): void {
    this.addSql(`
      create table "issuance_next" (
        "id" varchar(256) not null primary key,
        "run_id" varchar(26) not null,
        "account" varchar(64) not null,
        "space_id" varchar(128) not null,
        "caller_id" varchar(128) not null,
        "integration_id" varchar(26) not null,
        "role_arn" varchar(2048) not null,
        "phase" varchar(16) not null,
        "scope" varchar(8) not null,
        "mode" varchar(16) not null,
        "access_key_id" varchar(128) null,
        "session_name" varchar(128) not null,
        "source_identity" varchar(128) null,
        "issued_at" integer not null,
        "expires_at" integer not null,
        "assume_event_id" varchar(128) null
      );`);
    this.addSql(`insert into "issuance_next" (${COLUMNS}) select ${COLUMNS} from "issuance";`);
    this.addSql(`drop table "issuance";`);
    this.addSql(`alter table "issuance_next" rename to "issuance";`);
    this.addSql(`create index "issuance_key_idx" on "issuance" ("access_key_id");`);
    this.addSql(`create index "issuance_session_idx" on "issuance" ("session_name", "issued_at");`);
    this.addSql(`create index "issuance_run_idx" on "issuance" ("run_id", "issued_at");`);
    this.addSql(
      `create index "issuance_unseen_idx" on "issuance" ("issued_at") where "assume_event_id" is null;`,
    );
  }
}
