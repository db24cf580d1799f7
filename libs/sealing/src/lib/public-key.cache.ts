import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { PublicEcJwk } from '@runtrail/contracts';

/** An imported receiver key: the uncompressed point ECDH takes and the thumbprint that names it. */
export interface ImportedPublicKey {
  key: KeyObject;
  point: Buffer;
  thumbprint: string;
}

/**
 * Imported public keys, least recently used first, at most `capacity` of them.
 *
 * The broker seals several deliveries (one per integration, per phase) to the same worker key, and
 * importing a key (with its point-on-curve check) and hashing its thumbprint is worth doing once.
 * The map key is the coordinates themselves, so a hit costs no hashing. Promises are stored so
 * concurrent seals to a new key share one import.
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
    const imported = new Promise<ImportedPublicKey>((resolve) => resolve(importPublicKey(jwk)));
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

/** @throws when (x, y) is not a point on P-256 (OpenSSL checks it on import). */
function importPublicKey({ kty, crv, x, y }: PublicEcJwk): ImportedPublicKey {
  const key = createPublicKey({ key: { kty, crv, x, y }, format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(x, 'base64url'), Buffer.from(y, 'base64url')]);
  // RFC 7638: the required members in lexicographic order, no whitespace.
  const canonical = JSON.stringify({ crv, kty, x, y });
  const thumbprint = createHash('sha256').update(canonical).digest('base64url');
  return { key, point, thumbprint };
}
