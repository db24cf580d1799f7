import { baseServiceEnv, envDurationSeconds, envInt, serviceName } from '@runtrail/config';
import { z } from 'zod';
import { isLoopbackHost } from './config/loopback-host';

/** The longest token lifetime the `oidc.v1.issue` contract lets a caller ask for (12 hours). */
export const MAX_REQUESTABLE_LIFETIME_SECONDS = 43_200;

const KEK_RULE = 'must be base64 (or base64url) of exactly 32 random bytes; generate one with `openssl rand -base64 32`';

/** `OIDC_PUBLIC_URL`: https, or http on a loopback host; no credentials, query or fragment. */
const publicUrl = z
  .string()
  .refine(isAcceptablePublicUrl, {
    error:
      'must be the https URL relying parties reach runtrail at (http only on localhost/127.0.0.1/[::1]), without credentials, query or fragment',
  })
  .transform((value) => value.replace(/\/+$/, ''));

/** `OIDC_KEK`: 32 bytes, base64 or base64url. The rule never quotes the value. */
const keyEncryptionKey = z.string().refine((value) => decodeKek(value) !== null, { error: KEK_RULE });

/**
 * Environment of the oidc-issuer service (validated once at start). Every variable is described in
 * libs/oidc-issuer/README.md.
 */
export const oidcIssuerEnv = baseServiceEnv.extend({
  SERVICE_NAME: serviceName.default('oidc-issuer'),
  OIDC_PUBLIC_URL: publicUrl,
  OIDC_KEK: keyEncryptionKey,
  OIDC_SIGNING_ALG: z.enum(['ES256', 'RS256'], { error: 'must be ES256 or RS256' }).default('ES256'),
  OIDC_TOKEN_LIFETIME: envDurationSeconds({ min: 60, max: MAX_REQUESTABLE_LIFETIME_SECONDS }).default(3600),
  OIDC_MAX_TOKEN_LIFETIME: envDurationSeconds({ min: 60, max: MAX_REQUESTABLE_LIFETIME_SECONDS }).default(
    MAX_REQUESTABLE_LIFETIME_SECONDS,
  ),
  OIDC_ROTATION_INTERVAL: envDurationSeconds({ min: 3600, max: 365 * 86_400 }).default(7 * 86_400),
  /** Unset: the host name of `OIDC_PUBLIC_URL` (see `oidcIssuerConfig`). */
  OIDC_DEFAULT_AUDIENCE: z.string().min(1).max(255).optional(),
  OIDC_MAX_PUBLISHED_KEYS: envInt({ min: 2, max: 10 }).default(4),
});
export type OidcIssuerEnv = z.output<typeof oidcIssuerEnv>;

/**
 * The 32 key-encryption-key bytes of an `OIDC_KEK` value, or `null` when it is not base64/base64url
 * of exactly 32 bytes.
 */
export function decodeKek(value: string): Buffer | null {
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(trimmed)) return null;
  const bytes = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return bytes.length === 32 ? bytes : null;
}

function isAcceptablePublicUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  if (url.username || url.password || url.search || url.hash || value.includes('?') || value.includes('#')) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && isLoopbackHost(url.hostname);
}
