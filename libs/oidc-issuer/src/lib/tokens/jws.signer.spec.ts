import { CompactSign, compactVerify, generateKeyPair } from 'jose';
import type { SigningAlg } from '../keys/signing-alg';
import { signCompactJws } from './jws.signer';

const PAYLOAD = JSON.stringify({ iss: 'http://127.0.0.1/oidc/acme', sub: 'space:root:stack:network', exp: 2_000_000_000 });

describe('signCompactJws', () => {
  it.each<SigningAlg>(['ES256', 'RS256'])('signs a %s JWS that jose verifies, with the header jose would write', async (alg) => {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: false });
    const token = signCompactJws(PAYLOAD, { kid: 'k1', alg, privateKey });
    const verified = await compactVerify(token, publicKey, { algorithms: [alg] });
    expect(verified.protectedHeader).toEqual({ alg, kid: 'k1', typ: 'JWT' });
    expect(new TextDecoder().decode(verified.payload)).toBe(PAYLOAD);
    // Header and payload byte for byte as jose's CompactSign makes them.
    const jose = await new CompactSign(new TextEncoder().encode(PAYLOAD)).setProtectedHeader({ alg, kid: 'k1', typ: 'JWT' }).sign(privateKey);
    expect(token.split('.').slice(0, 2)).toEqual(jose.split('.').slice(0, 2));
    // RSASSA-PKCS1-v1_5 is deterministic: the very same token. ECDSA is not, but its r||s is 64 bytes.
    if (alg === 'RS256') expect(token).toBe(jose);
    else expect(Buffer.from(token.split('.')[2]!, 'base64url')).toHaveLength(64);
  });

  it('is refused by jose under another key', async () => {
    const signer = await generateKeyPair('ES256', { extractable: false });
    const other = await generateKeyPair('ES256');
    const token = signCompactJws(PAYLOAD, { kid: 'k1', alg: 'ES256', privateKey: signer.privateKey });
    await expect(compactVerify(token, other.publicKey)).rejects.toThrow();
  });
});
