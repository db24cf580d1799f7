import { Migration } from '@mikro-orm/migrations';
import { FILL_RUN_EVENT_SPANS, runEventSpanColumns } from '../../../runs/run-event-span';

/** The event-time span of each run's calls (see run-event-span.ts), filled from the calls stored. */
export class Migration20261208090000_run_event_span extends Migration {
  override up(): void {
    for (const statement of runEventSpanColumns('postgres')) this.addSql(statement);
    this.addSql(FILL_RUN_EVENT_SPANS);
  }

  override down(): void {
    this.addSql('alter table "run" drop column "last_event_at";');
    this.addSql('alter table "run" drop column "first_event_at";');
  }
}
