import { Migration } from '@mikro-orm/migrations';

/** PostgreSQL partitions `cloudtrail_event` and `event_resource` by month; SQLite has no partitions (no change). */
export class Migration20261207090000_partition_events_by_month extends Migration {
  override up(): void {
    // Nothing: every migration has a version per driver, and SQLite keeps its tables.
  }

  override down(): void {
    // Nothing to undo.
  }
}
