// A tiny local OpenID provider for web-identity tests: discovery document, JWKS and a signer.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export interface LocalIssuer {
  /** `http://127.0.0.1:<port>` (plain http is accepted for loopback issuers). */
  url: string;
  /** `127.0.0.1:<port>`: the provider's name in ARNs and condition keys. */
  hostPath: string;
  /** Signs a token with the published key (or `foreignKey: true` for a key the JWKS lacks the secret of). */
  sign(
    claims: JWTPayload,
    options?: { expiresIn?: string | number; foreignKey?: boolean; issuer?: string },
  ): Promise<string>;
  /** The private key as PKCS#8 PEM, for signing from other languages. */
  privateKeyPem(): Promise<string>;
  kid: string;
  requests: string[];
  stop(): Promise<void>;
}

export async function startLocalIssuer(): Promise<LocalIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const foreign = await generateKeyPair('RS256');
  const kid = 'local-key-1';
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const requests: string[] = [];
  let url = '';
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const body =
      req.url === '/.well-known/openid-configuration'
        ? { issuer: url, jwks_uri: `${url}/jwks`, id_token_signing_alg_values_supported: ['RS256'] }
        : req.url === '/jwks'
          ? { keys: [jwk] }
          : null;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { error: 'not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  url = `http://127.0.0.1:${port}`;
  const signWith = (key: CryptoKey, claims: JWTPayload, expiresIn: string | number, issuer: string) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .sign(key);
  return {
    url,
    hostPath: `127.0.0.1:${port}`,
    kid,
    requests,
    sign: (claims, o = {}) =>
      signWith(o.foreignKey ? foreign.privateKey : privateKey, claims, o.expiresIn ?? '5m', o.issuer ?? url),
    privateKeyPem: async () => {
      const { exportPKCS8 } = await import('jose');
      return exportPKCS8(privateKey);
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
