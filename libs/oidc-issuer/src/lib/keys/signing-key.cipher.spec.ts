import { RuntrailError } from '@runtrail/contracts';
import { randomBytes } from 'node:crypto';
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
});
