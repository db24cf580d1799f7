import { Entity, PrimaryKey, Property, type Opt } from '@mikro-orm/core';

/** A tenant of runtrail. Its slug is part of every external id, so it never changes. */
@Entity({ tableName: 'account' })
export class Account {
  @PrimaryKey({ type: 'string', length: 40 })
  slug!: string;

  /** The `aud` of this account's OIDC tokens; null: the issuer's default (its host, as Spacelift does). */
  @Property({ type: 'string', length: 255, nullable: true })
  oidcAudience?: string | null;

  @Property({ type: 'datetime', onCreate: () => new Date() })
  createdAt!: Date & Opt;
}
