import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { RuntrailError } from '@runtrail/contracts';

const FORMAT = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MAC_FORMAT = 'm1';
/** HKDF label of the integrity key: distinct from the encryption key, which is the KEK itself. */
const MAC_KEY_INFO = 'runtrail oidc-issuer signing-key integrity v1';

/**
 * Encrypts signing keys at rest with the key-encryption key (`OIDC_KEK`): AES-256-GCM with a fresh
 * IV per key and the key's `kid` and `alg` as additional authenticated data, so a ciphertext copied
 * onto another row (or relabelled with another algorithm) fails to decrypt instead of signing under
 * a name it was never given. Errors never contain key material.
 */
export class SigningKeyCipher {
  /** A keyed hash naming the KEK (never the KEK itself), stored beside each ciphertext. */
  readonly kekId: string;
  private readonly macKey: Buffer;

  constructor(private readonly kek: Buffer) {
    if (kek.length !== 32) throw new RuntrailError('VALIDATION_FAILED', 'the key-encryption key must be 32 bytes');
    this.kekId = createHmac('sha256', kek).update('runtrail oidc-issuer kek id v1').digest('base64url').slice(0, 16);
    this.macKey = Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), MAC_KEY_INFO, 32));
  }

  /**
   * `m1.<HMAC-SHA256>` binding a key row's `kid`, `alg` and public JWK (every member, in canonical
   * order, so an added or changed member breaks it) to the KEK: only a KEK holder can publish a key.
   */
  integrityMac(kid: string, alg: string, publicJwk: object): string {
    const message = JSON.stringify(['runtrail/oidc-signing-key-mac/v1', kid, alg, canonicalJson(publicJwk)]);
    return `${MAC_FORMAT}.${createHmac('sha256', this.macKey).update(message, 'utf8').digest('base64url')}`;
  }

  /** Whether `mac` is {@link integrityMac} of these fields under this KEK (constant-time compare). */
  verifyIntegrity(mac: string | null | undefined, kid: string, alg: string, publicJwk: object): boolean {
    if (!mac) return false;
    const expected = Buffer.from(this.integrityMac(kid, alg, publicJwk), 'utf8');
    const actual = Buffer.from(mac, 'utf8');
    return actual.length === expected.length && timingSafeEqual(actual, expected);
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

/** JSON with object members sorted at every level: PostgreSQL's jsonb does not keep member order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const members = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${members.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
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
