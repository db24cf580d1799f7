import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { publicSigningJwk, type PublicSigningJwk } from './public-jwk';
import type { SigningAlg } from './signing-alg';

/** A freshly generated key: the public JWK to publish and the private JWK as JSON, to encrypt at once. */
export interface GeneratedSigningKey {
  kid: string;
  alg: SigningAlg;
  publicJwk: PublicSigningJwk;
  /** The private JWK serialised; encrypt it and drop it. Never log it. */
  privateJwkJson: string;
}

/**
 * Generates a signing key pair (P-256 for ES256, RSA-2048 for RS256). The private key is created
 * extractable only so it can be exported once for encryption at rest. `kid` is the RFC 7638
 * thumbprint of the public key.
 */
export async function generateSigningKey(alg: SigningAlg): Promise<GeneratedSigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  const exportedPublic = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(exportedPublic, 'sha256');
  // `ext` and `key_ops` describe the exported CryptoKey; the stored key is re-imported non-extractable.
  const { ext: _ext, key_ops: _keyOps, ...privateJwk } = await exportJWK(privateKey);
  return { kid, alg, publicJwk: publicSigningJwk(exportedPublic, kid, alg), privateJwkJson: JSON.stringify({ ...privateJwk, kid, alg }) };
}
