import { generateKeyPairSync } from 'node:crypto';
import { compactDecrypt, CompactEncrypt, decodeProtectedHeader, importJWK } from 'jose';
import type { PublicEcJwk } from '@runtrail/contracts';
import { open } from './open.decryptor';
import { RotatingSealingKeyPair } from './rotating-key-pair';
import { seal, SealingSession } from './seal.encryptor';
import { generateSealingKeyPair, type SealingKeyPair } from './sealing-key-pair.generator';

let receiver: SealingKeyPair;
beforeAll(async () => {
  receiver = await generateSealingKeyPair();
});

const epkOf = (jwe: string) => JSON.stringify(decodeProtectedHeader(jwe).epk);

describe('standard JWE on both sides', () => {
  it('seals what jose opens, with only the members jose writes', async () => {
    const jwe = await seal({ secret: 's3cr3t' }, receiver.publicJwk);
    const { plaintext, protectedHeader } = await compactDecrypt(jwe, receiver.privateKey);
    expect(JSON.parse(new TextDecoder().decode(plaintext))).toEqual({ secret: 's3cr3t' });
    expect(Object.keys(protectedHeader).sort()).toEqual(['alg', 'enc', 'epk', 'kid']);
  });

  it("opens jose's JWE, with extra header members and with a KeyObject", async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = await importJWK(publicKey.export({ format: 'jwk' }), 'ECDH-ES+A256KW');
    for (const header of [
      { alg: 'ECDH-ES+A256KW', enc: 'A256GCM' },
      { alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: 'k', cty: 'json' },
    ]) {
      const jwe = await new CompactEncrypt(new TextEncoder().encode('{"n":2}'))
        .setProtectedHeader(header)
        .encrypt(key);
      await expect(open(jwe, privateKey)).resolves.toEqual({ n: 2 });
    }
  });
});

describe('SealingSession', () => {
  it('keeps one ephemeral key per receiver while fresh, with a new content key and IV per value', async () => {
    let now = 0;
    const session = new SealingSession({ ttlMs: 1000, now: () => now });
    const a = await session.seal('same', receiver.publicJwk);
    const b = await session.seal('same', receiver.publicJwk);
    expect(epkOf(a)).toBe(epkOf(b));
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
    await expect(Promise.all([open(a, receiver.privateKey), open(b, receiver.privateKey)])).resolves.toEqual([
      'same',
      'same',
    ]);
    now = 1000;
    const c = await session.seal('same', receiver.publicJwk);
    expect(epkOf(c)).not.toBe(epkOf(a));
    await expect(open(c, receiver.privateKey)).resolves.toBe('same');
  });

  it('uses another ephemeral key for another receiver, and a stranger cannot open', async () => {
    const other = await generateSealingKeyPair();
    const session = new SealingSession({ ttlMs: 60_000 });
    const a = await session.seal(1, receiver.publicJwk);
    const b = await session.seal(2, other.publicJwk);
    expect(epkOf(a)).not.toBe(epkOf(b));
    await expect(open(b, other.privateKey)).resolves.toBe(2);
    await expect(open(a, other.privateKey)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  });

  it('refuses what seal refuses', async () => {
    const session = new SealingSession({ ttlMs: 60_000 });
    const offCurve = { ...receiver.publicJwk, x: receiver.publicJwk.y } as PublicEcJwk;
    await expect(session.seal('x', offCurve)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(session.sealEach(['x'], offCurve)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('sealEach seals every value on its own (own content key and IV) under the ephemeral key seal uses', async () => {
    const session = new SealingSession({ ttlMs: 60_000 });
    const single = await session.seal('a', receiver.publicJwk);
    const many = await session.sealEach(['a', 'a', { n: 3 }], receiver.publicJwk);
    expect(many.map(epkOf)).toEqual([epkOf(single), epkOf(single), epkOf(single)]);
    expect(new Set([single, ...many].map((jwe) => jwe.split('.')[1])).size).toBe(4);
    expect(new Set([single, ...many].map((jwe) => jwe.split('.')[2])).size).toBe(4);
    const opened = await Promise.all(many.map((jwe) => compactDecrypt(jwe, receiver.privateKey)));
    const values = opened.map((o) => JSON.parse(new TextDecoder().decode(o.plaintext)));
    expect(values).toEqual(['a', 'a', { n: 3 }]);
  });
});

describe('RotatingSealingKeyPair', () => {
  it('hands out one key pair per window', async () => {
    let now = 0;
    const keys = new RotatingSealingKeyPair({ ttlMs: 500, now: () => now });
    const first = await keys.get();
    expect(await keys.get()).toBe(first);
    now = 500;
    const second = await keys.get();
    expect(second.publicJwk.kid).not.toBe(first.publicJwk.kid);
    await expect(open(await seal('r', first.publicJwk), first.privateKey)).resolves.toBe('r');
  });
});
