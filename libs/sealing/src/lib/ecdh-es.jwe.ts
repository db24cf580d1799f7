import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHash,
  createPublicKey,
  diffieHellman,
  KeyObject,
  randomBytes,
} from 'node:crypto';
import { SEALING_ALG, SEALING_ENC } from './sealing.constants';

/**
 * `ECDH-ES+A256KW` / `A256GCM` compact JWE (RFC 7516, RFC 7518 4.6 and 5.3) on Node's native crypto.
 *
 * jose does the same through WebCrypto, where each key generation and key agreement is an async job
 * on the thread pool: about ten times the CPU of the native calls. The output is the same standard
 * JWE (jose opens it, and `openNative` opens jose's), so the worker, the CLI and older services see
 * no change. Opening here handles only the shape runtrail seals (header members `alg`, `enc`, `kid`,
 * `epk`); anything else, and any failure, is left to jose, which names the precise error.
 */

const KW_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');
const B64_COORDINATE = /^[A-Za-z0-9_-]{43}$/;
const HEADER_MEMBERS = new Set(['alg', 'enc', 'kid', 'epk']);
const EPK_MEMBERS = new Set(['kty', 'crv', 'x', 'y']);

function uint32(n: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(n);
  return out;
}

/** RFC 7518 4.6.2 OtherInfo for A256KW with empty PartyUInfo/PartyVInfo (what runtrail and jose send). */
const OTHER_INFO = Buffer.concat([
  uint32(SEALING_ALG.length),
  Buffer.from(SEALING_ALG, 'ascii'),
  uint32(0),
  uint32(0),
  uint32(256),
]);
const ROUND_ONE = uint32(1);

/** Concat KDF (single SHA-256 round: A256KW needs 256 bits) from the shared secret Z. */
function keyEncryptionKey(sharedSecret: Buffer): Buffer {
  return createHash('sha256').update(ROUND_ONE).update(sharedSecret).update(OTHER_INFO).digest();
}

/** A receiver's public key as the uncompressed point ECDH takes, with the `kid` that names it. */
export interface ReceiverPoint {
  point: Buffer;
  kid: string;
}

/** One ephemeral key agreement with a receiver: the protected header (with `epk`) and the derived KEK. */
export interface KeyAgreement {
  protectedHeader: string;
  kek: Buffer;
}

/**
 * The ECDH object every agreement draws its ephemeral key from. `generateKeys` replaces the key
 * pair on each call (so each agreement still has its own), and `agree` uses it synchronously, so no
 * two agreements ever share it; what one object saves is setting up the curve per agreement, about
 * a fifth of an agreement's CPU.
 */
const ephemeral = createECDH('prime256v1');

/**
 * A fresh ephemeral P-256 key agreed with `receiver`.
 * @throws when the receiver's point is not on P-256 (ECDH refuses it).
 */
export function agree(receiver: ReceiverPoint): KeyAgreement {
  const publicPoint = ephemeral.generateKeys();
  const kek = keyEncryptionKey(ephemeral.computeSecret(receiver.point));
  const epk = {
    crv: 'P-256',
    kty: 'EC',
    x: publicPoint.subarray(1, 33).toString('base64url'),
    y: publicPoint.subarray(33, 65).toString('base64url'),
  };
  const header = { alg: SEALING_ALG, enc: SEALING_ENC, kid: receiver.kid, epk };
  return { protectedHeader: Buffer.from(JSON.stringify(header)).toString('base64url'), kek };
}

/** Random bytes one `encrypt` takes: the content key (32), then the IV (12). */
const FRESH_BYTES_PER_VALUE = 44;

/** Values whose content key and IV one draw of {@link freshBytes} provides. */
const FRESH_VALUES_PER_DRAW = 128;
let freshPool = Buffer.alloc(0);
let freshOffset = 0;

/**
 * A content key and IV for one value, never handed out twice: slices of a buffer drawn from the
 * CSPRNG for 128 values at a time (one sync randomBytes call costs about as much for 44 bytes as for
 * 5,632). Each draw is a new buffer, so a slice is never overwritten.
 */
function freshBytes(): Buffer {
  if (freshOffset + FRESH_BYTES_PER_VALUE > freshPool.length) {
    freshPool = randomBytes(FRESH_BYTES_PER_VALUE * FRESH_VALUES_PER_DRAW);
    freshOffset = 0;
  }
  const fresh = freshPool.subarray(freshOffset, freshOffset + FRESH_BYTES_PER_VALUE);
  freshOffset += FRESH_BYTES_PER_VALUE;
  return fresh;
}

/**
 * The compact JWE of `plaintext` under `agreement`: a random content key (with the IV, the next
 * unused slice of {@link freshBytes}) wrapped with its KEK.
 */
export function encrypt(plaintext: Uint8Array, agreement: KeyAgreement): string {
  const fresh = freshBytes();
  const cek = fresh.subarray(0, 32);
  const iv = fresh.subarray(32);
  const wrap = createCipheriv('id-aes256-wrap', agreement.kek, KW_IV);
  const wrapped = Buffer.concat([wrap.update(cek), wrap.final()]);
  const gcm = createCipheriv('aes-256-gcm', cek, iv);
  gcm.setAAD(Buffer.from(agreement.protectedHeader, 'ascii'));
  const ciphertext = Buffer.concat([gcm.update(plaintext), gcm.final()]);
  return [
    agreement.protectedHeader,
    wrapped.toString('base64url'),
    iv.toString('base64url'),
    ciphertext.toString('base64url'),
    gcm.getAuthTag().toString('base64url'),
  ].join('.');
}

/** Derived KEKs per private key, by `epk`: a sender that keeps its ephemeral key costs no ECDH here. */
const keks = new WeakMap<object, Map<string, Buffer>>();
const KEKS_PER_KEY = 64;
const keyObjects = new WeakMap<object, KeyObject | null>();

function privateKeyObject(privateKey: object): KeyObject | null {
  if (privateKey instanceof KeyObject) return privateKey.type === 'private' ? privateKey : null;
  let known = keyObjects.get(privateKey);
  if (known === undefined) {
    try {
      const converted = KeyObject.from(privateKey as Parameters<typeof KeyObject.from>[0]);
      known = converted.type === 'private' && converted.asymmetricKeyType === 'ec' ? converted : null;
    } catch {
      known = null;
    }
    keyObjects.set(privateKey, known);
  }
  return known;
}

function decodeJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyMembers(value: Record<string, unknown>, allowed: Set<string>): boolean {
  return Object.keys(value).every((k) => allowed.has(k));
}

function kekFor(privateKey: object, key: KeyObject, epk: { x: string; y: string }): Buffer {
  const id = `${epk.x}.${epk.y}`;
  let perKey = keks.get(privateKey);
  if (!perKey) keks.set(privateKey, (perKey = new Map()));
  const hit = perKey.get(id);
  if (hit) return hit;
  const publicKey = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: epk.x, y: epk.y }, format: 'jwk' });
  const kek = keyEncryptionKey(diffieHellman({ privateKey: key, publicKey }));
  perKey.set(id, kek);
  if (perKey.size > KEKS_PER_KEY) perKey.delete(perKey.keys().next().value as string);
  return kek;
}

/**
 * The plaintext of a runtrail-shaped JWE, or undefined when this fast path cannot decide (another
 * header shape, a key it cannot use, a wrong key, an altered message): the caller then asks jose.
 */
export function openNative(jwe: string, privateKey: object): Uint8Array | undefined {
  const parts = jwe.split('.');
  if (parts.length !== 5) return undefined;
  const [protectedHeader, wrappedKey, ivPart, ciphertext, tagPart] = parts as [string, string, string, string, string];
  const header = decodeJson(protectedHeader);
  if (!isPlainObject(header) || !onlyMembers(header, HEADER_MEMBERS)) return undefined;
  if (header['alg'] !== SEALING_ALG || header['enc'] !== SEALING_ENC) return undefined;
  const epk = header['epk'];
  if (!isPlainObject(epk) || !onlyMembers(epk, EPK_MEMBERS) || epk['kty'] !== 'EC' || epk['crv'] !== 'P-256')
    return undefined;
  const { x, y } = epk;
  if (typeof x !== 'string' || typeof y !== 'string' || !B64_COORDINATE.test(x) || !B64_COORDINATE.test(y))
    return undefined;
  const key = privateKeyObject(privateKey);
  if (!key) return undefined;
  try {
    const iv = Buffer.from(ivPart, 'base64url');
    const tag = Buffer.from(tagPart, 'base64url');
    const wrapped = Buffer.from(wrappedKey, 'base64url');
    if (iv.length !== 12 || tag.length !== 16 || wrapped.length !== 40) return undefined;
    const unwrap = createDecipheriv('id-aes256-wrap', kekFor(privateKey, key, { x, y }), KW_IV);
    const cek = Buffer.concat([unwrap.update(wrapped), unwrap.final()]);
    const gcm = createDecipheriv('aes-256-gcm', cek, iv, { authTagLength: 16 });
    gcm.setAAD(Buffer.from(protectedHeader, 'ascii'));
    gcm.setAuthTag(tag);
    return Buffer.concat([gcm.update(Buffer.from(ciphertext, 'base64url')), gcm.final()]);
  } catch {
    return undefined;
  }
}
