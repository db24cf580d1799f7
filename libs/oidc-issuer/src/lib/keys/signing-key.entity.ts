import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import type { PublicSigningJwk } from './public-jwk';
import type { SigningAlg } from './signing-alg';

/** Where a key is in its life: published ahead, signing, or published only for verification. */
export const KEY_STATUSES = ['next', 'active', 'retired'] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

/**
 * One signing key of the issuer. Every row whose integrity MAC holds is published in the JWKS; a key is deleted once no
 * token it signed can still be valid. The private key is stored only encrypted with the
 * key-encryption key (`OIDC_KEK`), bound to its `kid` and `alg`.
 *
 * Partial unique indexes (see the migrations) allow at most one `active` and one `next` row, which
 * is what makes concurrent rotation by several replicas safe.
 */
@Entity({ tableName: 'oidc_signing_key' })
export class SigningKey {
  /** RFC 7638 thumbprint of the public key. */
  @PrimaryKey({ type: 'string', length: 64 })
  kid!: string;

  @Property({ type: 'string', length: 8 })
  alg!: SigningAlg;

  @Property({ type: 'string', length: 16 })
  status!: KeyStatus;

  @Property({ type: 'json' })
  publicJwk!: PublicSigningJwk;

  /** `v1.<iv>.<ciphertext>.<tag>`: AES-256-GCM of the private JWK; never logged. */
  @Property({ type: 'text', lazy: true })
  encryptedPrivateKey!: string;

  /** Which key-encryption key sealed it (a keyed hash, not the key), for an actionable error. */
  @Property({ type: 'string', length: 32 })
  kekId!: string;

  /**
   * HMAC (key derived from `OIDC_KEK`) over `kid`, `alg` and `publicJwk`: a row without a valid
   * one was not written by this issuer and is neither published nor used to sign. Null only on
   * rows older than the column, until a start proves them (their private key decrypts and matches).
   */
  @Property({ type: 'string', length: 64, nullable: true })
  integrityMac?: string | null;

  @Property({ type: 'datetime' })
  createdAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  activatedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  retiredAt?: Date | null;

  /** When a retired key leaves the JWKS: retirement + the longest token lifetime + margins. */
  @Property({ type: 'datetime', nullable: true })
  unpublishAt?: Date | null;
}
