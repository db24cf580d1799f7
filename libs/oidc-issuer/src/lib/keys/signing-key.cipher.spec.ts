import { RuntrailError } from '@runtrail/contracts';
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { SigningKeyCipher } from './signing-key.cipher';

const secret = JSON.stringify({ kty: 'EC', crv: 'P-256', d: 'super-secret-private-scalar', x: 'x', y: 'y' });

function errorOf(fn: () => unknown): RuntrailError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RuntrailError) return error;
    throw error;
  }
  throw new Error('expected a RuntrailError');
}

describe('SigningKeyCipher', () => {
  const kek = randomBytes(32);
  const cipher = new SigningKeyCipher(kek);

  it('round-trips a key and never stores it in clear', () => {
    const sealed = cipher.encrypt(secret, 'kid-1', 'ES256');
    expect(sealed).toMatch(/^v1\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/);
    expect(sealed).not.toContain('super-secret');
    expect(Buffer.from(sealed.split('.')[2]!, 'base64url').toString('latin1')).not.toContain('super-secret');
    expect(cipher.decrypt(sealed, 'kid-1', 'ES256', cipher.kekId)).toBe(secret);
  });

  it('uses a fresh IV each time', () => {
    expect(cipher.encrypt(secret, 'k', 'ES256')).not.toBe(cipher.encrypt(secret, 'k', 'ES256'));
  });

  it.each([
    ['another kid', 'kid-2', 'ES256'],
    ['another alg', 'kid-1', 'RS256'],
  ])('refuses a ciphertext moved to %s (kid and alg are authenticated)', (_label, kid, alg) => {
    const sealed = cipher.encrypt(secret, 'kid-1', 'ES256');
    const error = errorOf(() => cipher.decrypt(sealed, kid, alg, cipher.kekId));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toContain(`stored signing key ${kid} cannot be decrypted`);
  });

  it('detects a changed byte', () => {
    const [v, iv, ct, tag] = cipher.encrypt(secret, 'k', 'ES256').split('.');
    const flipped = Buffer.from(ct!, 'base64url');
    flipped[0]! ^= 1;
    expect(() => cipher.decrypt([v, iv, flipped.toString('base64url'), tag].join('.'), 'k', 'ES256', cipher.kekId)).toThrow(/cannot be decrypted/);
    expect(() => cipher.decrypt('garbage', 'k', 'ES256', cipher.kekId)).toThrow(/cannot be decrypted/);
  });

  it('says which KEK is missing when started with another one, without revealing either', () => {
    const other = new SigningKeyCipher(randomBytes(32));
    const sealed = cipher.encrypt(secret, 'k', 'ES256');
    const error = errorOf(() => other.decrypt(sealed, 'k', 'ES256', cipher.kekId));
    expect(error.message).toMatch(/encrypted with another OIDC_KEK \(kek id [\w-]{16}, this process has [\w-]{16}\)/);
    const exposed = JSON.stringify({ m: error.message, s: error.stack, b: error.toJSON() });
    expect(exposed).not.toContain(kek.toString('base64'));
    expect(exposed).not.toContain('super-secret');
  });

  it('names the KEK by a stable keyed hash', () => {
    expect(new SigningKeyCipher(Buffer.from(kek)).kekId).toBe(cipher.kekId);
    expect(cipher.kekId).not.toBe(new SigningKeyCipher(randomBytes(32)).kekId);
  });

  describe('integrity MAC', () => {
    const jwk = { kty: 'EC', crv: 'P-256', x: 'xx', y: 'yy', kid: 'kid-1', alg: 'ES256', use: 'sig' };
    const mac = cipher.integrityMac('kid-1', 'ES256', jwk);

    it('holds for the same fields in any member order (jsonb reorders them)', () => {
      const reordered = { use: 'sig', y: 'yy', alg: 'ES256', x: 'xx', kid: 'kid-1', crv: 'P-256', kty: 'EC' };
      expect(cipher.verifyIntegrity(mac, 'kid-1', 'ES256', reordered)).toBe(true);
      expect(new SigningKeyCipher(Buffer.from(kek)).verifyIntegrity(mac, 'kid-1', 'ES256', jwk)).toBe(true);
    });

    it('fails for another kid, alg, public key, an added member, another KEK, or no MAC', () => {
      expect(cipher.verifyIntegrity(mac, 'kid-2', 'ES256', jwk)).toBe(false);
      expect(cipher.verifyIntegrity(mac, 'kid-1', 'RS256', jwk)).toBe(false);
      expect(cipher.verifyIntegrity(mac, 'kid-1', 'ES256', { ...jwk, x: 'xy' })).toBe(false);
      expect(cipher.verifyIntegrity(mac, 'kid-1', 'ES256', { ...jwk, x5u: 'https://attacker.example' })).toBe(false);
      expect(new SigningKeyCipher(randomBytes(32)).verifyIntegrity(mac, 'kid-1', 'ES256', jwk)).toBe(false);
      expect(cipher.verifyIntegrity(null, 'kid-1', 'ES256', jwk)).toBe(false);
      expect(cipher.verifyIntegrity(`${mac}x`, 'kid-1', 'ES256', jwk)).toBe(false);
    });

    it('is keyed by HKDF from the KEK with its own label, not by the KEK (the encryption key)', () => {
      const [, tag] = mac.split('.');
      const canonical = JSON.stringify(Object.fromEntries(Object.entries(jwk).sort(([a], [b]) => (a < b ? -1 : 1))));
      const message = JSON.stringify(['runtrail/oidc-signing-key-mac/v1', 'kid-1', 'ES256', canonical]);
      const derived = Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), 'runtrail oidc-issuer signing-key integrity v1', 32));
      expect(tag).toBe(createHmac('sha256', derived).update(message).digest('base64url'));
      expect(tag).not.toBe(createHmac('sha256', kek).update(message).digest('base64url'));
    });
  });
});
