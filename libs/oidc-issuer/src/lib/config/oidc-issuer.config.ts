import { oidcAudienceOf, oidcIssuerOf } from '@runtrail/aws-identity';
import { ConfigError } from '@runtrail/config';
import { decodeKek, type OidcIssuerEnv } from '../oidc-issuer.env';
import type { SigningAlg } from '../keys/signing-alg';

/** How long relying parties may cache discovery documents and the JWKS (`Cache-Control: max-age`). */
export const JWKS_MAX_AGE_SECONDS = 300;

/**
 * How stale a replica's in-memory view of the keys may get before it refuses to sign. Rotation
 * checks run at half this interval, so a healthy replica never hits it.
 */
export const KEY_REFRESH_SECONDS = 60;

/** Clock difference between runtrail and a relying party that the key schedule tolerates. */
export const CLOCK_SKEW_SECONDS = 60;

/**
 * How long a new key is published before it signs: every relying party's cached JWKS (max-age) and
 * every replica's key view (refresh) has turned over by then, so nobody meets an unknown `kid`.
 */
export const PUBLISH_LEAD_SECONDS = 2 * JWKS_MAX_AGE_SECONDS;

/** The timing rules of the signing-key schedule, in seconds. */
export interface KeySchedule {
  alg: SigningAlg;
  /** An active key signs for this long before its successor takes over. */
  rotationIntervalSeconds: number;
  /** A `next` key is published at least this long before it becomes `active`. */
  publishLeadSeconds: number;
  /** A retired key stays published this long: the longest token, a stale replica, clock skew. */
  retentionSeconds: number;
  /** Upper bound on published keys (`next` + `active` + `retired`). */
  maxPublishedKeys: number;
}

/** The issuer's runtime configuration, derived once from the validated environment. */
export class OidcIssuerConfig {
  constructor(
    /** `OIDC_PUBLIC_URL` without a trailing slash. */
    readonly publicUrl: string,
    readonly kek: Buffer,
    /** `aud` when a request names none: `OIDC_DEFAULT_AUDIENCE`, else the host name of `OIDC_PUBLIC_URL`. */
    readonly defaultAudience: string,
    readonly tokenLifetimeSeconds: number,
    readonly maxTokenLifetimeSeconds: number,
    readonly schedule: KeySchedule,
  ) {}

  /** The issuer of `account`: `<OIDC_PUBLIC_URL>/oidc/<account>`. */
  issuerOf(account: string): string {
    return oidcIssuerOf(this.publicUrl, account);
  }

  /** Never print the key-encryption key, whatever serialises this object. */
  toJSON(): Record<string, unknown> {
    return { publicUrl: this.publicUrl, defaultAudience: this.defaultAudience, schedule: this.schedule };
  }
}

/**
 * Builds the runtime configuration.
 *
 * @throws ConfigError when `OIDC_TOKEN_LIFETIME` exceeds `OIDC_MAX_TOKEN_LIFETIME` (the only rule that
 *   spans two variables) or `OIDC_KEK` does not decode.
 */
export function oidcIssuerConfig(env: OidcIssuerEnv): OidcIssuerConfig {
  const kek = decodeKek(env.OIDC_KEK);
  if (!kek) throw new ConfigError([{ path: 'OIDC_KEK', rule: 'must be base64 of exactly 32 bytes' }]);
  if (env.OIDC_TOKEN_LIFETIME > env.OIDC_MAX_TOKEN_LIFETIME) {
    throw new ConfigError([
      {
        path: 'OIDC_TOKEN_LIFETIME',
        rule: `must not exceed OIDC_MAX_TOKEN_LIFETIME (${env.OIDC_MAX_TOKEN_LIFETIME}s), got ${env.OIDC_TOKEN_LIFETIME}s`,
      },
    ]);
  }
  return new OidcIssuerConfig(
    env.OIDC_PUBLIC_URL,
    kek,
    // Spacelift's tokens carry its host name as `aud` (seed 003), so the AWS console's one audience
    // for a provider is the host the admin already typed in the provider URL.
    oidcAudienceOf(env.OIDC_PUBLIC_URL, null, env.OIDC_DEFAULT_AUDIENCE),
    env.OIDC_TOKEN_LIFETIME,
    env.OIDC_MAX_TOKEN_LIFETIME,
    {
      alg: env.OIDC_SIGNING_ALG,
      rotationIntervalSeconds: env.OIDC_ROTATION_INTERVAL,
      publishLeadSeconds: PUBLISH_LEAD_SECONDS,
      retentionSeconds: env.OIDC_MAX_TOKEN_LIFETIME + KEY_REFRESH_SECONDS + CLOCK_SKEW_SECONDS,
      maxPublishedKeys: env.OIDC_MAX_PUBLISHED_KEYS,
    },
  );
}
