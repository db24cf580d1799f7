import { Entity, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';

/** A folder of callers inside an account; `root` has no parent, every other space has one. */
@Entity({ tableName: 'space' })
@Unique({ name: 'space_account_slug_unique', properties: ['account', 'slug'] })
export class Space {
  @PrimaryKey({ type: 'string', length: 26 })
  id!: string;

  @Property({ type: 'string', length: 40 })
  account!: string;

  /** The space id users see (`root`, `prod`, ...), unique per account. */
  @Property({ type: 'string', length: 64 })
  slug!: string;

  @Property({ type: 'string', length: 64, nullable: true })
  parent?: string | null;

  @Property({ type: 'string', length: 200 })
  name!: string;

  @Property({ type: 'datetime', onCreate: () => new Date() })
  createdAt!: Date & Opt;
}
