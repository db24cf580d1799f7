import { KeyObject, sign } from 'node:crypto';
import type { ActiveSigningKey } from '../keys/signing-key.ring';

/**
 * The Node KeyObject behind each WebCrypto key and the encoded protected header naming it, made once
 * per key (the ring keeps one active key).
 */
interface Signer {
  keyObject: KeyObject;
  header: string;
  /** What the header names: made again should the same key come with another kid or alg. */
  kid: string;
  alg: string;
}
const signers = new WeakMap<object, Signer>();

function signerOf(key: ActiveSigningKey): Signer {
  let signer = signers.get(key.privateKey);
  if (!signer || signer.kid !== key.kid || signer.alg !== key.alg) {
    const header = Buffer.from(JSON.stringify({ alg: key.alg, kid: key.kid, typ: 'JWT' })).toString('base64url');
    signer = { keyObject: signer?.keyObject ?? KeyObject.from(key.privateKey), header, kid: key.kid, alg: key.alg };
    signers.set(key.privateKey, signer);
  }
  return signer;
}

/**
 * A compact JWS of `payload` (`{alg, kid, typ: 'JWT'}` protected header) signed with `key`, by
 * Node's crypto directly: the same token jose's `CompactSign` makes (ES256: the raw r||s signature
 * of RFC 7518 3.4; RS256: RSASSA-PKCS1-v1_5 with SHA-256), at about a third of the CPU of jose's
 * WebCrypto path, which hands every signature to a job and a promise. Synchronous.
 */
export function signCompactJws(payload: string, key: ActiveSigningKey): string {
  const { keyObject, header } = signerOf(key);
  const input = `${header}.${Buffer.from(payload).toString('base64url')}`;
  const signature =
    key.alg === 'ES256'
      ? sign('sha256', Buffer.from(input), { key: keyObject, dsaEncoding: 'ieee-p1363' })
      : sign('sha256', Buffer.from(input), keyObject);
  return `${input}.${signature.toString('base64url')}`;
}
