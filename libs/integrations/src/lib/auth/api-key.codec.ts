import { API_KEY_PREFIX, apiKeySecretSha256 } from '@runtrail/contracts';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { ulid } from 'ulid';

export { API_KEY_PREFIX, parseApiKey } from '@runtrail/contracts';

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
  return { id, key: `${API_KEY_PREFIX}.${id}.${secret}`, secretSha256: apiKeySecretSha256(secret) };
}

/** Hex SHA-256, as keys are stored (also used to compare the bootstrap token without keeping it). */
export const sha256Hex = apiKeySecretSha256;

/** Compares two hex digests without leaking where they differ through timing. */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
