import { loadConfig } from '@runtrail/config';
import { randomBytes } from 'node:crypto';
import { oidcIssuerEnv, type OidcIssuerEnv } from '../lib/oidc-issuer.env';

/** A fresh base64 key-encryption key. */
export function newKek(): string {
  return randomBytes(32).toString('base64');
}

/** A validated oidc-issuer environment for tests: loopback issuer, the given database and overrides. */
export function issuerEnv(overrides: Record<string, string>): OidcIssuerEnv {
  return loadConfig(oidcIssuerEnv, { OIDC_PUBLIC_URL: 'http://127.0.0.1:1', OIDC_KEK: newKek(), LOG_LEVEL: 'warn', ...overrides });
}
