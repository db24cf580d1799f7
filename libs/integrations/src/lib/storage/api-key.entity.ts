import { Entity, PrimaryKey, Property, type Opt } from '@mikro-orm/core';

/**
 * `admin` writes, `reader` reads, `scheduler` reads and drives runs (`/v1/runs`); each within its
 * space subtree. Admins may schedule too.
 */
export const API_KEY_ROLES = ['admin', 'reader', 'scheduler'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

/**
 * An account's API key. Only the SHA-256 of the secret part is stored: the key is shown once at
 * creation and cannot be recovered, only revoked.
 */
@Entity({ tableName: 'api_key' })
export class ApiKey {
  /** The public part of the key (a ULID), also how a key is named in the API. */
  @PrimaryKey({ type: 'string', length: 26 })
  id!: string;

  @Property({ type: 'string', length: 40, index: 'api_key_account_index' })
  account!: string;

  @Property({ type: 'string', length: 100 })
  name!: string;

  @Property({ type: 'string', length: 16 })
  role!: ApiKeyRole;

  /** Null: the whole account; otherwise this space and its descendants only. */
  @Property({ type: 'string', length: 64, nullable: true })
  spaceSubtree?: string | null;

  /** Hex SHA-256 of the secret part; compared in constant time. */
  @Property({ type: 'string', length: 64, lazy: true })
  secretSha256!: string;

  @Property({ type: 'datetime', onCreate: () => new Date() })
  createdAt!: Date & Opt;

  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date | null;
}
