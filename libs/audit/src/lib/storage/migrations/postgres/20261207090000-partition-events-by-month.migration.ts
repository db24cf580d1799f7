import { Migration } from '@mikro-orm/migrations';
import { partitionTablesSql, unpartitionTablesSql } from '../../partitions.sql';

/**
 * `cloudtrail_event` and `event_resource` partitioned by month of `event_time`, existing rows moved
 * (see partitions.sql.ts; the audit service creates months ahead and drops those past
 * AUDIT_RETENTION_DAYS). `cloudtrail_event`'s primary key becomes (event_id, event_time).
 */
export class Migration20261207090000_partition_events_by_month extends Migration {
  override up(): void {
    for (const statement of partitionTablesSql()) this.addSql(statement);
  }

  override down(): void {
    for (const statement of unpartitionTablesSql()) this.addSql(statement);
  }
}
