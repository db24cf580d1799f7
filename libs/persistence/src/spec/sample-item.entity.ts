import { Entity, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

/**
 * Test entity with the column types that differ between the drivers: uuid (text in SQLite),
 * json (jsonb in PostgreSQL), datetime (timestamptz in PostgreSQL). Every property names its
 * `type`, because SWC's decorator metadata cannot describe `Date | null` or `Record<…>`.
 */
@Entity({ tableName: 'sample_item' })
export class SampleItem {
  @PrimaryKey({ type: 'uuid', onCreate: () => randomUUID() })
  id!: string & Opt;

  @Property({ type: 'string', length: 100, unique: true })
  name!: string;

  @Property({ type: 'json' })
  labels!: Record<string, string>;

  @Property({ type: 'integer', onCreate: () => 0 })
  revision!: number & Opt;

  @Property({ type: 'datetime', onCreate: () => new Date() })
  createdAt!: Date & Opt;

  @Property({ type: 'datetime', nullable: true })
  archivedAt?: Date | null;
}
