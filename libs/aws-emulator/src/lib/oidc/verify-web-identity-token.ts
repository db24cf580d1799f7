import type { JWTPayload } from 'jose';
import { AwsApiError } from '../http/aws-api.error';
import type { OidcProvider } from '../state/iam.types';
import type { OidcKeyResolver } from './oidc-key-resolver';

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];

export const invalidToken = (message: string) => new AwsApiError('InvalidIdentityToken', message);

/** The claims of a compact JWS, read without verifying anything; null when it is not one. */
function unverifiedClaims(token: string): JWTPayload | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims)
      ? (claims as JWTPayload)
      : null;
  } catch {
    return null;
  }
}

/** The `iss` of a token, read without verifying it (to find the provider). */
export function unverifiedIssuer(token: string): string {
  const claims = unverifiedClaims(token);
  if (!claims)
    throw invalidToken(
      'The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)',
    );
  if (typeof claims.iss !== 'string' || !claims.iss)
    throw invalidToken('The ID Token provided has no issuer (iss).');
  return claims.iss;
}

/**
 * Verifies a web identity token as STS does: signature against the issuer's JWKS (fetched
 * through discovery, refetched once for an unknown key id), `iss`, `exp`/`nbf` against the
 * emulator's clock, and an `aud` among the provider's client ids. Returns the verified claims
 * and the matched audience.
 */
export async function verifyWebIdentityToken(
  token: string,
  issuer: string,
  provider: OidcProvider,
  resolver: OidcKeyResolver,
  now: Date,
): Promise<{ claims: JWTPayload; audience: string }> {
  // jose loads on first use: most emulator runs never see a web identity token.
  const { createLocalJWKSet, jwtVerify } = await import('jose');
  const verify = async (refresh: boolean) => {
    const keys = await resolver.keySet(issuer, refresh);
    return jwtVerify(token, createLocalJWKSet(keys), { issuer, currentDate: now, algorithms: ALGORITHMS });
  };
  let claims: JWTPayload;
  try {
    try {
      claims = (await verify(false)).payload;
    } catch (error) {
      if (codeOf(error) !== 'ERR_JWKS_NO_MATCHING_KEY') throw error;
      claims = (await verify(true)).payload;
    }
  } catch (error) {
    throw mapJoseError(error, token, now);
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : claims.aud ? [claims.aud] : [];
  const audience = audiences.find((a) => provider.clientIds.includes(a));
  if (!audience) throw invalidToken('Incorrect token audience');
  return { claims, audience };
}

function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : undefined;
}

function mapJoseError(error: unknown, token: string, now: Date): Error {
  if (error instanceof AwsApiError) return error;
  if (error instanceof Error && error.name === 'OidcDiscoveryError') {
    return new AwsApiError(
      'IDPCommunicationError',
      `Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements (${error.message})`,
    );
  }
  switch (codeOf(error)) {
    case 'ERR_JWT_EXPIRED': {
      const exp = unverifiedClaims(token)?.exp;
      return new AwsApiError(
        'ExpiredTokenException',
        `Token expired: current date/time ${Math.floor(now.getTime() / 1000)} must be before the expiration date/time${exp ?? ''}`,
      );
    }
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return invalidToken(`The ID Token provided failed validation: ${(error as Error).message}`);
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return invalidToken(`The ID Token provided is not valid: ${(error as Error).message}`);
    default:
      return error instanceof Error ? error : new Error(String(error));
  }
}
