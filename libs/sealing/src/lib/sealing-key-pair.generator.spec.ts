import { createHash } from 'node:crypto';
import { exportJWK } from 'jose';
import { publicEcJwk } from '@runtrail/contracts';
import { generateSealingKeyPair } from './sealing-key-pair.generator';

describe('generateSealingKeyPair', () => {
  it('publishes a public P-256 JWK that the contracts accept', async () => {
    const { publicJwk } = await generateSealingKeyPair();
    expect(publicEcJwk.safeParse(publicJwk).success).toBe(true);
    expect(publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'enc', alg: 'ECDH-ES+A256KW' });
    expect(publicJwk).not.toHaveProperty('d');
  });

  it('names the key by its RFC 7638 thumbprint', async () => {
    const { publicJwk } = await generateSealingKeyPair();
    // RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace.
    const canonical = `{"crv":"P-256","kty":"EC","x":"${publicJwk.x}","y":"${publicJwk.y}"}`;
    expect(publicJwk.kid).toBe(createHash('sha256').update(canonical).digest('base64url'));
  });

  it('keeps the private key non-extractable', async () => {
    const { privateKey } = await generateSealingKeyPair();
    expect(privateKey.type).toBe('private');
    expect(privateKey.extractable).toBe(false);
    await expect(exportJWK(privateKey)).rejects.toThrow();
  });

  it('makes a new key every time', async () => {
    const [a, b] = await Promise.all([generateSealingKeyPair(), generateSealingKeyPair()]);
    expect(a.publicJwk.x).not.toBe(b.publicJwk.x);
    expect(a.publicJwk.kid).not.toBe(b.publicJwk.kid);
  });
});
