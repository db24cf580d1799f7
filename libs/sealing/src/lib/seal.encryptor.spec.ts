import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { decodeProtectedHeader } from 'jose';
import { compactJwe, RuntrailError, type PublicEcJwk } from '@runtrail/contracts';
import { open } from './open.decryptor';
import { seal, sealerFor } from './seal.encryptor';
import { generateSealingKeyPair, type SealingKeyPair } from './sealing-key-pair.generator';

async function rejection(promise: Promise<unknown>): Promise<RuntrailError> {
  const error: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  if (error instanceof RuntrailError) return error;
  throw error;
}

let receiver: SealingKeyPair;
beforeAll(async () => {
  receiver = await generateSealingKeyPair();
});

describe('seal', () => {
  it('produces a compact JWE the contracts accept, with ECDH-ES+A256KW / A256GCM and the key id', async () => {
    const jwe = await seal({ hello: 'worker' }, receiver.publicJwk);
    expect(compactJwe.safeParse(jwe).success).toBe(true);
    expect(decodeProtectedHeader(jwe)).toMatchObject({
      alg: 'ECDH-ES+A256KW',
      enc: 'A256GCM',
      kid: receiver.publicJwk.kid,
    });
  });

  it('round-trips any JSON value', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const opened = await open(await seal(value, receiver.publicJwk), receiver.privateKey);
        expect(opened).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 40 },
    );
  });

  it('uses a fresh ephemeral key, so the same value never seals to the same text', async () => {
    const [a, b] = await Promise.all([seal('same', receiver.publicJwk), seal('same', receiver.publicJwk)]);
    expect(a).not.toBe(b);
  });

  it('gives every value its own ephemeral key, content key and IV, across more values than one random draw serves', async () => {
    const sealed = await Promise.all(Array.from({ length: 300 }, (_, i) => seal({ i }, receiver.publicJwk)));
    const distinct = (part: (jwe: string) => string) => new Set(sealed.map(part)).size;
    expect(distinct((jwe) => JSON.stringify(decodeProtectedHeader(jwe).epk))).toBe(300);
    expect(distinct((jwe) => jwe.split('.')[1] ?? '')).toBe(300);
    expect(distinct((jwe) => jwe.split('.')[2] ?? '')).toBe(300);
    const opened = await Promise.all(sealed.map((jwe) => open(jwe, receiver.privateKey)));
    expect(opened).toEqual(Array.from({ length: 300 }, (_, i) => ({ i })));
  });

  it('names a key without kid by its thumbprint', async () => {
    const { kid, ...withoutKid } = receiver.publicJwk;
    expect(decodeProtectedHeader(await seal(1, withoutKid)).kid).toBe(kid);
  });

  it('seals to a key made by Node crypto, opened with the KeyObject', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' }) as PublicEcJwk;
    await expect(open(await seal({ n: 1 }, jwk), privateKey)).resolves.toEqual({ n: 1 });
  });

  it('seals to many receivers, more than the key cache holds', async () => {
    const receivers = await Promise.all(Array.from({ length: 300 }, () => generateSealingKeyPair()));
    const sealed = await Promise.all(receivers.map((r, i) => seal(i, r.publicJwk)));
    const last = receivers.length - 1;
    await expect(open(sealed[last]!, receivers[last]!.privateKey)).resolves.toBe(last);
    await expect(open(sealed[0]!, receivers[0]!.privateKey)).resolves.toBe(0);
  });

  it('refuses a JWK that carries the private parameter d, without echoing it', async () => {
    const withPrivate = { ...receiver.publicJwk, d: 'PRIVATE-SCALAR-'.padEnd(43, 'x') } as PublicEcJwk;
    const error = await rejection(seal('x', withPrivate));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues?.[0]?.path).toBe('publicJwk.d');
    expect(JSON.stringify(error.toJSON())).not.toContain('PRIVATE-SCALAR');
  });

  it.each<[string, Record<string, unknown>]>([
    ['another curve', { crv: 'P-384' }],
    ['an RSA key', { kty: 'RSA' }],
    ['a short coordinate', { x: 'abc' }],
  ])('refuses %s', async (_label, patch) => {
    const error = await rejection(seal('x', { ...receiver.publicJwk, ...patch } as PublicEcJwk));
    expect(error.code).toBe('VALIDATION_FAILED');
  });

  it('refuses coordinates that are not a point on P-256', async () => {
    const error = await rejection(seal('x', { ...receiver.publicJwk, x: receiver.publicJwk.y }));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain('point on P-256');
  });

  it.each<[string, () => unknown]>([
    ['undefined', () => undefined],
    ['a function', () => () => 'secret-in-fn'],
    ['a BigInt', () => ({ secret: 'secret-in-bigint', n: BigInt(1) })],
    [
      'a cycle',
      () => {
        const node: Record<string, unknown> = { secret: 'secret-in-cycle' };
        node['self'] = node;
        return node;
      },
    ],
  ])('refuses %s, which is not JSON, without echoing it', async (_label, make) => {
    const error = await rejection(seal(make(), receiver.publicJwk));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.cause).toBeUndefined();
    expect(error.message).not.toMatch(/secret-in/);
  });
});

describe('sealerFor', () => {
  it('agrees first and seals one value later, into a JWE that opens as seal\'s does, each with its own ephemeral key', async () => {
    const [first, second] = await Promise.all([sealerFor(receiver.publicJwk), sealerFor(receiver.publicJwk)]);
    const a = first!({ secret: 'a' });
    const b = second!({ secret: 'a' });
    expect(compactJwe.safeParse(a).success).toBe(true);
    expect(decodeProtectedHeader(a)).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: receiver.publicJwk.kid });
    expect(decodeProtectedHeader(a).epk).not.toEqual(decodeProtectedHeader(b).epk);
    expect(await open(a, receiver.privateKey)).toEqual({ secret: 'a' });
    expect(await open(b, receiver.privateKey)).toEqual({ secret: 'a' });
  });

  it('seals one value only', async () => {
    const sealTo = await sealerFor(receiver.publicJwk);
    sealTo('once');
    expect(() => sealTo('twice')).toThrow(/one value/);
  });

  it('refuses a bad key as seal does, before any value', async () => {
    const error = await rejection(sealerFor({ ...receiver.publicJwk, x: receiver.publicJwk.y }));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain('point on P-256');
  });

  it('refuses a value that is not JSON, without echoing it', async () => {
    const sealTo = await sealerFor(receiver.publicJwk);
    let error: unknown;
    try {
      sealTo({ secret: 'secret-in-bigint', n: BigInt(1) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RuntrailError);
    expect((error as RuntrailError).code).toBe('VALIDATION_FAILED');
    expect((error as RuntrailError).message).not.toMatch(/secret-in/);
  });
});
