import { calculateJwkThumbprint, importJWK, type CryptoKey } from 'jose';
import type { PublicEcJwk } from '@runtrail/contracts';
import { SEALING_ALG } from './sealing.constants';

/** An imported receiver key and the thumbprint that names it in the JWE header. */
export interface ImportedPublicKey {
  key: CryptoKey;
  thumbprint: string;
}

/**
 * Imported public keys, least recently used first, at most `capacity` of them.
 *
 * The broker seals several deliveries (one per integration, per phase) to the same worker key, and
 * importing a key (with its point-on-curve check) and hashing its thumbprint costs about a quarter
 * of a seal. The map key is the coordinates themselves, so a hit costs no hashing. Promises are
 * stored so concurrent seals to a new key share one import.
 */
export class PublicKeyCache {
  private readonly entries = new Map<string, Promise<ImportedPublicKey>>();

  constructor(private readonly capacity = 256) {}

  get size(): number {
    return this.entries.size;
  }

  /** The imported key for `jwk`, importing it on a miss. Rejects if the point is not on P-256. */
  get(jwk: PublicEcJwk): Promise<ImportedPublicKey> {
    const id = `${jwk.x}.${jwk.y}`;
    const hit = this.entries.get(id);
    if (hit) {
      this.entries.delete(id);
      this.entries.set(id, hit);
      return hit;
    }
    const imported = importPublicKey(jwk);
    this.entries.set(id, imported);
    // A key that failed to import is not remembered: the caller gets the error, the cache stays clean.
    imported.catch(() => this.entries.get(id) === imported && this.entries.delete(id));
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return imported;
  }
}

async function importPublicKey({ kty, crv, x, y }: PublicEcJwk): Promise<ImportedPublicKey> {
  const jwk = { kty, crv, x, y };
  const [key, thumbprint] = await Promise.all([
    importJWK(jwk, SEALING_ALG),
    calculateJwkThumbprint(jwk, 'sha256'),
  ]);
  // importJWK gives a Uint8Array only for symmetric ("oct") keys, which `publicEcJwk` never is.
  if (key instanceof Uint8Array) throw new TypeError('expected an EC public key');
  return { key, thumbprint };
}
