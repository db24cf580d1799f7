import type { JWK } from 'jose';
import type { SigningAlg } from './signing-alg';

/** A public signing key as the JWKS publishes it. It has no private member by construction. */
export type PublicSigningJwk =
  | { kty: 'EC'; crv: 'P-256'; x: string; y: string; kid: string; alg: SigningAlg; use: 'sig' }
  | { kty: 'RSA'; n: string; e: string; kid: string; alg: SigningAlg; use: 'sig' };

/**
 * Copies only the public members of `jwk` (an allow-list, so a private JWK passed by mistake still
 * yields a public one).
 *
 * @throws TypeError for a key type the issuer does not sign with.
 */
export function publicSigningJwk(jwk: JWK, kid: string, alg: SigningAlg): PublicSigningJwk {
  if (jwk.kty === 'EC' && jwk.crv === 'P-256' && jwk.x && jwk.y) {
    return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, kid, alg, use: 'sig' };
  }
  if (jwk.kty === 'RSA' && jwk.n && jwk.e) return { kty: 'RSA', n: jwk.n, e: jwk.e, kid, alg, use: 'sig' };
  throw new TypeError(`unsupported signing key type ${String(jwk.kty)}`);
}
