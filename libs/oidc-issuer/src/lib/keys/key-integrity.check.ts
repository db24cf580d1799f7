import type { Logger } from '@nestjs/common';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { publicSigningJwk } from './public-jwk';
import type { SigningKeyCipher } from './signing-key.cipher';
import type { PublishedKey, SigningKeyStore } from './signing-key.store';

/**
 * Decides which stored key rows the issuer may publish and sign with: those whose integrity MAC
 * (keyed from `OIDC_KEK`) holds. Whoever can write the table but does not hold the KEK cannot add a
 * key relying parties would trust, nor change a kept key's kid, alg or public JWK.
 *
 * A row older than the MAC column is proved once: its private key must decrypt with the KEK (AES-GCM
 * authenticates it as written by a KEK holder, bound to its kid and alg) and yield exactly the row's
 * public JWK and kid; then its MAC is stored. Every other row is refused, and logged once per kid
 * with the reason (never key material).
 *
 * Status and dates are not covered: an old row replayed with its old MAC would pass anyway, and a
 * state change only picks among keys this issuer generated.
 */
export class KeyIntegrityCheck {
  private readonly reported = new Map<string, string>();

  constructor(
    private readonly store: SigningKeyStore,
    private readonly cipher: SigningKeyCipher,
    private readonly log: Logger,
  ) {}

  /** The refused rows of `keys`, kid to reason. Proves (and seals) rows older than the MAC column. */
  async refused(keys: readonly PublishedKey[]): Promise<Map<string, string>> {
    const refused = new Map<string, string>();
    for (const key of keys) {
      const reason = await this.problem(key);
      if (reason) refused.set(key.kid, reason);
      if (reason && this.reported.get(key.kid) !== reason) this.log.error(`${reason}; it is not published and never signs`);
      if (reason) this.reported.set(key.kid, reason);
      else this.reported.delete(key.kid);
    }
    return refused;
  }

  private async problem(key: PublishedKey): Promise<string | null> {
    if (key.kekId !== this.cipher.kekId) {
      return (
        `signing key ${key.kid} was encrypted with another OIDC_KEK (kek id ${key.kekId}, this process has ${this.cipher.kekId}); ` +
        'start the service with the key-encryption key the keys were stored with'
      );
    }
    if (key.integrityMac === null) return (await this.proveLegacy(key)) ? null : `signing key ${key.kid} has no integrity MAC and its private key does not prove it`;
    if (this.cipher.verifyIntegrity(key.integrityMac, key.kid, key.alg, key.publicJwk)) return null;
    return `signing key ${key.kid} fails its integrity check: its kid, alg or public key was changed, or it was not written by this issuer`;
  }

  private async proveLegacy(key: PublishedKey): Promise<boolean> {
    const row = await this.store.encryptedKey(key.kid);
    if (!row) return false;
    let mac: string;
    try {
      const privateJwk = JSON.parse(this.cipher.decrypt(row.encryptedPrivateKey, row.kid, row.alg, row.kekId)) as JWK;
      const derived = publicSigningJwk(privateJwk, key.kid, key.alg);
      mac = this.cipher.integrityMac(key.kid, key.alg, derived);
      if ((await calculateJwkThumbprint(derived, 'sha256')) !== key.kid) return false;
    } catch {
      // No cause: a decrypt or parse error could quote key material. The row is refused instead.
      return false;
    }
    if (!this.cipher.verifyIntegrity(mac, key.kid, key.alg, key.publicJwk)) return false;
    if (await this.store.sealLegacy(key.kid, mac)) this.log.log(`signing key ${key.kid} predates integrity MACs; its private key proves it, MAC stored`);
    return true;
  }
}
