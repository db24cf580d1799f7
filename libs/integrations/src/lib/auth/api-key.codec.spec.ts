import { createHash } from 'node:crypto';
import { mintApiKey, parseApiKey, sameDigest } from './api-key.codec';

describe('API key codec', () => {
  it('mints rtk.<ULID>.<secret> keys whose stored hash is the SHA-256 of the secret part only', () => {
    const minted = mintApiKey();
    const [prefix, id, secret] = minted.key.split('.');
    expect([prefix, id]).toEqual(['rtk', minted.id]);
    expect(minted.secretSha256).toBe(createHash('sha256').update(secret!).digest('hex'));
    expect(minted.secretSha256).not.toContain(secret);
    expect(parseApiKey(minted.key)).toEqual({ id: minted.id, secretSha256: minted.secretSha256 });
  });

  it('mints a different secret every time', () => {
    expect(mintApiKey().key).not.toBe(mintApiKey().key);
  });

  it.each([
    '',
    'rtk',
    'rtk.x.y',
    `abc.${'0'.repeat(26)}.${'a'.repeat(43)}`,
    `rtk.${'0'.repeat(26)}.${'a'.repeat(42)}`,
  ])('refuses %j', (value) => {
    expect(parseApiKey(value)).toBeNull();
  });

  it('compares digests only when both are non-empty and equal', () => {
    const digest = 'ab'.repeat(32);
    expect(sameDigest(digest, digest)).toBe(true);
    expect(sameDigest(digest, 'cd'.repeat(32))).toBe(false);
    expect(sameDigest('', '')).toBe(false);
    expect(sameDigest(digest, 'ab')).toBe(false);
  });
});
