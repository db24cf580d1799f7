import { Entity, PrimaryKey, Property, type Opt } from '@mikro-orm/core';

/** A tenant of runtrail. Its slug is part of every external id, so it never changes. */
@Entity({ tableName: 'account' })
export class Account {
  @PrimaryKey({ type: 'string', length: 40 })
  slug!: string;

  @Property({ type: 'datetime', onCreate: () => new Date() })
  createdAt!: Date & Opt;
}
