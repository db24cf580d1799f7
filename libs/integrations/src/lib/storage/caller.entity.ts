import { Entity, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';
import type { CallerType } from '@runtrail/contracts';

/**
 * A stack or module. The slug is unique per account across both types because external ids carry
 * only the slug: two callers sharing one would share external ids.
 */
@Entity({ tableName: 'caller' })
@Unique({ name: 'caller_account_slug_unique', properties: ['account', 'slug'] })
export class Caller {
  @PrimaryKey({ type: 'string', length: 26 })
  id!: string;

  @Property({ type: 'string', length: 40 })
  account!: string;

  @Property({ type: 'string', length: 8 })
  type!: CallerType;

  @Property({ type: 'string', length: 64 })
  slug!: string;

  @Property({ type: 'string', length: 64 })
  spaceId!: string;

  @Property({ type: 'json' })
  labels!: string[];

  @Property({ type: 'datetime', onCreate: () => new Date() })
  createdAt!: Date & Opt;
}
