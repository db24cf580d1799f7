import { parseOrThrow, publicEcJwk, RuntrailError, type PublicEcJwk } from '@runtrail/contracts';
import { agree, encrypt, type KeyAgreement, type ReceiverPoint } from './ecdh-es.jwe';
import { PublicKeyCache } from './public-key.cache';

const publicKeys = new PublicKeyCache();
const utf8 = new TextEncoder();

/**
 * Seals a JSON value to a receiver's public key: a compact JWE (`ECDH-ES+A256KW` / `A256GCM`) whose
 * header names the key by `kid` (the JWK's own, else its RFC 7638 thumbprint). Only the holder of the
 * private key can open it, and any change to it is detected. Each call uses a fresh ephemeral key.
 *
 * @throws RuntrailError `VALIDATION_FAILED` when `publicJwk` is not a public P-256 key (a JWK with
 *   the private `d` is refused so a key pair cannot be passed where a public key belongs) or
 *   `value` is not JSON. The message never contains the value.
 */
export async function seal(value: unknown, publicJwk: PublicEcJwk): Promise<string> {
  const { plaintext, receiver } = await prepare(value, publicJwk);
  return encrypt(plaintext, agree(receiver));
}

/**
 * `seal` in two steps, for a caller that knows the receiver before the value: the key's check and
 * import and the key agreement (a fresh ephemeral key and ECDH, nearly all of a seal's CPU) when it
 * is called, the value's encryption (AES key wrap and GCM, microseconds) when the value is there.
 * The sealer seals one value, with its own ephemeral key, content key and IV, into the same JWE as
 * `seal`; a second call throws (more values to one receiver: {@link SealingSession}).
 *
 * @throws RuntrailError `VALIDATION_FAILED` (the promise) for a bad key, as `seal`; (the sealer)
 *   for a value that is not JSON.
 */
export async function sealerFor(publicJwk: PublicEcJwk): Promise<(value: unknown) => string> {
  const receiver = await importReceiver(checkPublicJwk(publicJwk));
  const agreement = agree(receiver);
  let used = false;
  return (value) => {
    if (used) throw new Error('a sealer seals one value; use seal or a SealingSession for more');
    used = true;
    return encrypt(encodeJson(value), agreement);
  };
}

/** Options of a {@link SealingSession}. */
export interface SealingSessionOptions {
  /** How long one ephemeral key serves one receiver key, in milliseconds. */
  ttlMs: number;
  /** Receivers remembered at most (least recently used dropped first; default 256). */
  capacity?: number;
  /** Milliseconds since the epoch (a seam for tests; default Date.now). */
  now?: () => number;
}

/**
 * Seals to receivers that come back (a broker's rotated reply key): the ephemeral key agreed with a
 * receiver key is kept for `ttlMs`, so the next values to it cost AES only, no key generation or
 * ECDH. Every value still gets its own random content key and IV, and the output is the same
 * standard JWE as `seal`'s; the receiver opens it the same way (and remembers the derived key too).
 * What the reuse gives up is forward secrecy within `ttlMs`: whoever later obtained the receiver's
 * private key could open every value of that window, which one-shot receiver keys never allowed
 * anyway. Receivers that use a key once (a worker's run key on first delivery) see no difference.
 */
export class SealingSession {
  private readonly agreements = new Map<string, { agreement: KeyAgreement; until: number }>();
  private readonly now: () => number;

  constructor(private readonly options: SealingSessionOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Like `seal`, reusing this session's ephemeral key for the receiver while it is fresh. */
  async seal(value: unknown, publicJwk: PublicEcJwk): Promise<string> {
    const { plaintext, receiver } = await prepare(value, publicJwk);
    return encrypt(plaintext, this.agreementWith(receiver));
  }

  /**
   * Seals each of `values` on its own to one receiver, as `seal` would one by one (each its own
   * content key and IV, from `encrypt`'s pooled draws), with the per-call work done once: the key's
   * check and import, the lookup of the agreement.
   *
   * @throws RuntrailError `VALIDATION_FAILED` as `seal` does (a bad key, or a value that is not JSON).
   */
  async sealEach(values: readonly unknown[], publicJwk: PublicEcJwk): Promise<string[]> {
    const receiver = await importReceiver(checkPublicJwk(publicJwk));
    const plaintexts = values.map(encodeJson);
    const agreement = this.agreementWith(receiver);
    return plaintexts.map((plaintext) => encrypt(plaintext, agreement));
  }

  private agreementWith(receiver: ReceiverPoint): KeyAgreement {
    const id = `${receiver.kid}.${receiver.point.toString('base64url')}`;
    const now = this.now();
    const known = this.agreements.get(id);
    this.agreements.delete(id);
    if (known && known.until > now) {
      this.agreements.set(id, known);
      return known.agreement;
    }
    const fresh = { agreement: agree(receiver), until: now + this.options.ttlMs };
    this.agreements.set(id, fresh);
    if (this.agreements.size > (this.options.capacity ?? 256)) {
      const oldest = this.agreements.keys().next().value;
      if (oldest !== undefined) this.agreements.delete(oldest);
    }
    return fresh.agreement;
  }
}

async function prepare(
  value: unknown,
  publicJwk: PublicEcJwk,
): Promise<{ plaintext: Uint8Array; receiver: ReceiverPoint }> {
  const jwk = checkPublicJwk(publicJwk);
  const plaintext = encodeJson(value);
  return { plaintext, receiver: await importReceiver(jwk) };
}

/** The receiver a checked public key names (imported once, see `PublicKeyCache`). */
async function importReceiver(jwk: PublicEcJwk): Promise<ReceiverPoint> {
  const imported = await publicKeys.get(jwk).catch((error: unknown) => {
    const rule = 'x and y must be a point on P-256';
    throw new RuntrailError(
      'VALIDATION_FAILED',
      `invalid publicJwk: ${rule}`,
      [{ path: 'publicJwk', rule }],
      { cause: error },
    );
  });
  return { point: imported.point, kid: jwk.kid ?? imported.thumbprint };
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
