import { Migration } from '@mikro-orm/migrations';
import { TRAIL_S3_CHECKPOINT_COLUMN } from '../../tables.sql';

/** S3 delivery of trail sources: the last log file key read per (source, region). */
export class Migration20261206090000_trail_source_s3_checkpoint extends Migration {
  override up(): void {
    this.addSql(TRAIL_S3_CHECKPOINT_COLUMN);
  }

  override down(): void {
    this.addSql('alter table "trail_source_region" drop column "s3_checkpoint_key";');
  }
}
