import { createHash, randomFillSync } from 'node:crypto';

// AWS key and unique ids use the RFC 4648 base32 alphabet (upper-case letters and 2-7).
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

// One getrandom() per 64 KiB instead of one per credential: syscalls dominate the cost of
// issuing credentials on the emulator's request path.
const POOL_BYTES = 64 * 1024;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;

/** `n` cryptographically random bytes, copied out of a pooled buffer. */
export function randomBytesPooled(n: number): Buffer {
  if (n > POOL_BYTES) return randomFillSync(Buffer.alloc(n));
  if (poolOffset + n > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = Buffer.from(pool.subarray(poolOffset, poolOffset + n));
  poolOffset += n;
  return out;
}

function encode(bytes: Buffer, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i] % alphabet.length];
  return out;
}

/** `ASIA` + 16 for temporary credentials, `AKIA` + 16 for IAM user keys. */
export function newAccessKeyId(prefix: 'ASIA' | 'AKIA'): string {
  return prefix + encode(randomBytesPooled(16), BASE32, 16);
}

/** A 40-character secret access key. */
export function newSecretAccessKey(): string {
  return encode(randomBytesPooled(40), SECRET_ALPHABET, 40);
}

/** A unique id (`AROA...` role, `AIDA...` user, `ANPA...` policy): 21 characters like AWS's. */
export function newUniqueId(prefix: 'AROA' | 'AIDA' | 'ANPA'): string {
  return prefix + encode(randomBytesPooled(17), BASE32, 17);
}

/** The same unique id for the same seeded entity on every start, so restarts keep ids stable. */
export function stableUniqueId(prefix: 'AROA' | 'AIDA' | 'ANPA', ...parts: string[]): string {
  return prefix + encode(createHash('sha256').update(parts.join('\0')).digest(), BASE32, 17);
}
