import { Inject, Injectable } from '@nestjs/common';
import { RuntrailError } from '@runtrail/contracts';
import type { CryptoKey } from 'jose';
import { Clock } from '../config/clock';
import { KEY_REFRESH_SECONDS } from '../config/oidc-issuer.config';
import type { PublicSigningJwk } from './public-jwk';
import type { SigningAlg } from './signing-alg';

/** The key tokens are signed with right now. The private key is non-extractable. */
export interface ActiveSigningKey {
  kid: string;
  alg: SigningAlg;
  privateKey: CryptoKey;
}

/** What one refresh of the ring read from the database. */
export interface KeyRingSnapshot {
  active: ActiveSigningKey | null;
  /** Every published key, the active one first. */
  published: PublicSigningJwk[];
}

/**
 * This replica's in-memory view of the signing keys: the decrypted active key (signing is the hot
 * path, so it is decrypted once per key, not per token) and the public keys the JWKS serves.
 *
 * The view is refreshed by the rotation service. If it has not been refreshed for
 * {@link KEY_REFRESH_SECONDS} the ring refuses to sign: another replica may have retired the key,
 * and the key schedule only covers tokens signed by a retired key for that long.
 */
@Injectable()
export class SigningKeyRing {
  readonly readinessName = 'oidc-signing-keys';
  private snapshot: KeyRingSnapshot = { active: null, published: [] };
  private refreshedAt = Number.NEGATIVE_INFINITY;

  constructor(@Inject(Clock) private readonly clock: Clock) {}

  /** Installs a fresh view, read from the database just now. */
  replace(snapshot: KeyRingSnapshot): void {
    this.snapshot = snapshot;
    this.refreshedAt = this.clock.now().getTime();
  }

  /** The cached key when it is `kid` (however stale), so a refresh need not decrypt it again. */
  cachedKey(kid: string): ActiveSigningKey | null {
    return this.snapshot.active?.kid === kid ? this.snapshot.active : null;
  }

  /**
   * The key to sign with.
   *
   * @throws RuntrailError `UNAVAILABLE` (transient) before the first refresh, or when the view is
   *   older than {@link KEY_REFRESH_SECONDS} (the database has been unreachable).
   */
  activeKey(): ActiveSigningKey {
    const active = this.snapshot.active;
    if (!active) {
      throw new RuntrailError('UNAVAILABLE', 'the OIDC issuer has no active signing key yet; it is being loaded or created, retry shortly');
    }
    if (!this.fresh()) {
      throw new RuntrailError(
        'UNAVAILABLE',
        `the OIDC issuer could not refresh its signing keys from the database for over ${KEY_REFRESH_SECONDS}s; check the database, then retry`,
      );
    }
    return active;
  }

  /** The public keys to serve in the JWKS (active first, then next, then retired). */
  publishedKeys(): PublicSigningJwk[] {
    return this.snapshot.published;
  }

  /** Algorithms of the published keys, for discovery. */
  algorithms(): SigningAlg[] {
    return [...new Set(this.snapshot.published.map((k) => k.alg))];
  }

  /** Ready when a key can sign (found by /health/ready). */
  async isReady(): Promise<boolean> {
    return this.snapshot.active !== null && this.fresh();
  }

  private fresh(): boolean {
    return this.clock.now().getTime() - this.refreshedAt <= KEY_REFRESH_SECONDS * 1000;
  }
}
