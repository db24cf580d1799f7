import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { RuntrailError } from '@runtrail/contracts';

const FORMAT = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts signing keys at rest with the key-encryption key (`OIDC_KEK`): AES-256-GCM with a fresh
 * IV per key and the key's `kid` and `alg` as additional authenticated data, so a ciphertext copied
 * onto another row (or relabelled with another algorithm) fails to decrypt instead of signing under
 * a name it was never given. Errors never contain key material.
 */
export class SigningKeyCipher {
  /** A keyed hash naming the KEK (never the KEK itself), stored beside each ciphertext. */
  readonly kekId: string;

  constructor(private readonly kek: Buffer) {
    if (kek.length !== 32) throw new RuntrailError('VALIDATION_FAILED', 'the key-encryption key must be 32 bytes');
    this.kekId = createHmac('sha256', kek).update('runtrail oidc-issuer kek id v1').digest('base64url').slice(0, 16);
  }

  /** `v1.<iv>.<ciphertext>.<tag>` (base64url parts) of `plaintext`, bound to `kid` and `alg`. */
  encrypt(plaintext: string, kid: string, alg: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.kek, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(kid, alg));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [FORMAT, iv, ciphertext, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  /**
   * Decrypts what {@link encrypt} produced for the same `kid` and `alg`.
   *
   * @throws RuntrailError `INTERNAL` naming the key when it was sealed with another KEK (`kekId`
   *   differs), was altered, or belongs to another kid/alg. The message says what to check.
   */
  decrypt(sealed: string, kid: string, alg: string, kekId: string): string {
    if (kekId !== this.kekId) {
      throw new RuntrailError(
        'INTERNAL',
        `signing key ${kid} was encrypted with another OIDC_KEK (kek id ${kekId}, this process has ${this.kekId}); ` +
          'start the service with the key-encryption key the keys were stored with',
      );
    }
    const [format, iv, ciphertext, tag, ...rest] = sealed.split('.');
    if (format !== FORMAT || !iv || ciphertext === undefined || !tag || rest.length) throw corrupt(kid);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.kek, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(kid, alg));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      // No cause: nothing from the cipher is worth the risk of carrying key bytes into a log line.
      throw corrupt(kid);
    }
  }
}

function aad(kid: string, alg: string): Buffer {
  return Buffer.from(`runtrail/oidc-signing-key/v1|${kid}|${alg}`, 'utf8');
}

function corrupt(kid: string): RuntrailError {
  return new RuntrailError(
    'INTERNAL',
    `stored signing key ${kid} cannot be decrypted: it was altered or moved to another row; ` +
      'delete the row (a new key is generated) or restore it from a backup',
  );
}
