import { createHash } from 'node:crypto';
import { RuntrailError } from '../lib/errors';

/**
 * The API-key format of runtrail's REST APIs: `rtk.<ULID key id>.<43 base64url chars>`. integrations
 * mints and stores keys; any service's API (audit) parses them the same way and checks the key id and
 * secret hash through `integrations.v1.authenticate`.
 */
export const API_KEY_PREFIX = 'rtk';

const API_KEY = /^rtk\.([0-9A-HJKMNP-TV-Z]{26})\.([A-Za-z0-9_-]{43})$/;

/** What is stored and compared: the hex SHA-256 of a key's secret part. */
export function apiKeySecretSha256(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The id and secret hash of a presented key, or null when it does not have the key's shape. */
export function parseApiKey(presented: string): { id: string; secretSha256: string } | null {
  const match = API_KEY.exec(presented);
  if (!match?.[1] || !match[2]) return null;
  return { id: match[1], secretSha256: apiKeySecretSha256(match[2]) };
}

/**
 * The key of an `Authorization: Bearer rtk.…` header, parsed.
 * @throws RuntrailError UNAUTHENTICATED when the header is missing or the key is malformed (the
 *   message never says which part of a presented key was wrong).
 */
export function apiKeyFromAuthorization(header: string | undefined): { id: string; secretSha256: string } {
  const presented = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
  if (!presented) throw new RuntrailError('UNAUTHENTICATED', 'send an API key: Authorization: Bearer rtk.<id>.<secret>');
  const parsed = parseApiKey(presented);
  if (!parsed) throw new RuntrailError('UNAUTHENTICATED', 'the API key is unknown, revoked or wrong');
  return parsed;
}
