import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ulid } from 'ulid';

/** The visible prefix of every runtrail API key, so secret scanners and people recognise one. */
export const API_KEY_PREFIX = 'rtk';

/** A freshly minted key: the full key is returned to the user once; only `secretSha256` is stored. */
export interface MintedApiKey {
  id: string;
  key: string;
  secretSha256: string;
}

/** Mints `rtk.<ULID>.<43 base64url chars = 256 random bits>`. */
export function mintApiKey(): MintedApiKey {
  const id = ulid();
  const secret = randomBytes(32).toString('base64url');
  return { id, key: `${API_KEY_PREFIX}.${id}.${secret}`, secretSha256: sha256Hex(secret) };
}

/** The id and secret hash of a presented key, or null when it does not have the key's shape. */
export function parseApiKey(presented: string): { id: string; secretSha256: string } | null {
  const match = /^rtk\.([0-9A-HJKMNP-TV-Z]{26})\.([A-Za-z0-9_-]{43})$/.exec(presented);
  if (!match?.[1] || !match[2]) return null;
  return { id: match[1], secretSha256: sha256Hex(match[2]) };
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Compares two hex digests without leaking where they differ through timing. */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
