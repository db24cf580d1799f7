import type { SigningAlg } from '../keys/signing-alg';
import { SUPPORTED_CLAIMS } from '../tokens/token-claims';

/** The OpenID Provider metadata runtrail publishes per account (the fields AWS and OIDC libraries read). */
export interface DiscoveryDocument {
  issuer: string;
  jwks_uri: string;
  response_types_supported: ['id_token'];
  subject_types_supported: ['public'];
  id_token_signing_alg_values_supported: SigningAlg[];
  scopes_supported: ['openid'];
  claims_supported: string[];
}

/**
 * The discovery document of one issuer. runtrail only mints tokens over NATS (there is no
 * authorization endpoint), so it announces what relying parties need to verify them.
 */
export function discoveryDocument(issuer: string, algorithms: readonly SigningAlg[]): DiscoveryDocument {
  return {
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks`,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...algorithms],
    scopes_supported: ['openid'],
    claims_supported: [...SUPPORTED_CLAIMS],
  };
}
