import { Migration } from '@mikro-orm/migrations';

/**
 * PostgreSQL half of Migration20261202070000_trace_context: one trace per run. A run keeps the W3C
 * `traceparent` of the request that created it, and each outbox row the context it is published in.
 */
export class Migration20261202070000_trace_context extends Migration {
  override up(): void {
    this.addSql(`alter table "run" add column "traceparent" varchar(55) null;`);
    this.addSql(`alter table "outbox_event" add column "traceparent" varchar(55) null;`);
  }

  override down(): void {
    this.addSql(`alter table "run" drop column "traceparent";`);
    this.addSql(`alter table "outbox_event" drop column "traceparent";`);
  }
}
