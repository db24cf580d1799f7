import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { parseOrThrow, publicEcJwk, type PublicEcJwk } from '@runtrail/contracts';
import { SEALING_ALG, SEALING_CURVE } from './sealing.constants';

/** A key pair for receiving sealed values: publish `publicJwk`, keep `privateKey` in memory. */
export interface SealingKeyPair {
  /** P-256 public key; `kid` is its RFC 7638 thumbprint, `use` `enc`, `alg` `ECDH-ES+A256KW`. */
  publicJwk: PublicEcJwk;
  /** Non-extractable: it can open sealed values but can never be exported, logged or sent. */
  privateKey: CryptoKey;
}

/**
 * A fresh P-256 key pair for one receiver (a worker's run, a one-shot reply). The private key is
 * created non-extractable so no code path can leak it, even by mistake.
 */
export async function generateSealingKeyPair(): Promise<SealingKeyPair> {
  const { publicKey, privateKey } = await generateKeyPair(SEALING_ALG, {
    crv: SEALING_CURVE,
    extractable: false,
  });
  const { kty, crv, x, y } = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint({ kty, crv, x, y }, 'sha256');
  const publicJwk = parseOrThrow(
    publicEcJwk,
    { kty, crv, x, y, kid, use: 'enc', alg: SEALING_ALG },
    'generated sealing public key',
  );
  return { publicJwk, privateKey };
}
