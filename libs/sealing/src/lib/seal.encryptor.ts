import { CompactEncrypt } from 'jose';
import { parseOrThrow, publicEcJwk, RuntrailError, type PublicEcJwk } from '@runtrail/contracts';
import { PublicKeyCache } from './public-key.cache';
import { SEALING_ALG, SEALING_ENC } from './sealing.constants';

const publicKeys = new PublicKeyCache();
const utf8 = new TextEncoder();

/**
 * Seals a JSON value to a receiver's public key: a compact JWE (`ECDH-ES+A256KW` / `A256GCM`) whose
 * header names the key by `kid` (the JWK's own, else its RFC 7638 thumbprint). Only the holder of the
 * private key can open it, and any change to it is detected.
 *
 * @throws RuntrailError `VALIDATION_FAILED` when `publicJwk` is not a public P-256 key (a JWK with
 *   the private `d` is refused so a key pair cannot be passed where a public key belongs) or
 *   `value` is not JSON. The message never contains the value.
 */
export async function seal(value: unknown, publicJwk: PublicEcJwk): Promise<string> {
  const jwk = checkPublicJwk(publicJwk);
  const plaintext = encodeJson(value);
  const imported = await publicKeys.get(jwk).catch((error: unknown) => {
    const rule = 'x and y must be a point on P-256';
    throw new RuntrailError(
      'VALIDATION_FAILED',
      `invalid publicJwk: ${rule}`,
      [{ path: 'publicJwk', rule }],
      { cause: error },
    );
  });
  return new CompactEncrypt(plaintext)
    .setProtectedHeader({ alg: SEALING_ALG, enc: SEALING_ENC, kid: jwk.kid ?? imported.thumbprint })
    .encrypt(imported.key);
}

function checkPublicJwk(publicJwk: PublicEcJwk): PublicEcJwk {
  if (typeof publicJwk === 'object' && publicJwk !== null && 'd' in publicJwk) {
    const rule = 'carries the private parameter d; pass the public key only';
    throw new RuntrailError('VALIDATION_FAILED', `invalid publicJwk: ${rule}`, [
      { path: 'publicJwk.d', rule },
    ]);
  }
  return parseOrThrow(publicEcJwk, publicJwk, 'publicJwk');
}

function encodeJson(value: unknown): Uint8Array {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    // The cause is dropped on purpose: its message can quote parts of the value.
    json = undefined;
  }
  if (json === undefined) {
    throw new RuntrailError(
      'VALIDATION_FAILED',
      'invalid value: must be JSON-serialisable (no undefined, functions, symbols, BigInt or cycles)',
      [{ path: 'value', rule: 'must be JSON-serialisable' }],
    );
  }
  return utf8.encode(json);
}
