import { generateSealingKeyPair } from './sealing-key-pair.generator';
import { PublicKeyCache } from './public-key.cache';

async function publicJwks(n: number) {
  return Promise.all(Array.from({ length: n }, async () => (await generateSealingKeyPair()).publicJwk));
}

describe('PublicKeyCache', () => {
  it('imports a key once and hands the same import to every later and concurrent caller', async () => {
    const [jwk] = await publicJwks(1);
    const cache = new PublicKeyCache();
    const first = cache.get(jwk!);
    expect(cache.get({ ...jwk! })).toBe(first);
    expect((await first).key.type).toBe('public');
    expect(cache.size).toBe(1);
  });

  it('holds at most its capacity, evicting the least recently used key', async () => {
    const [a, b, c] = await publicJwks(3);
    const cache = new PublicKeyCache(2);
    const importedA = cache.get(a!);
    const importedB = cache.get(b!);
    cache.get(a!);
    cache.get(c!);
    expect(cache.size).toBe(2);
    expect(cache.get(a!)).toBe(importedA);
    expect(cache.get(b!)).not.toBe(importedB);
    await Promise.all([importedA, importedB]);
  });

  it('does not remember a key that failed to import', async () => {
    const [jwk] = await publicJwks(1);
    const cache = new PublicKeyCache();
    const offCurve = { ...jwk!, x: jwk!.y };
    await expect(cache.get(offCurve)).rejects.toThrow();
    expect(cache.size).toBe(0);
  });
});
