import type { JSONWebKeySet } from 'jose';
import { isLoopbackUrl } from '../state/oidc-url';

export class OidcDiscoveryError extends Error {
  override readonly name = 'OidcDiscoveryError';
}

interface Cached {
  keys: JSONWebKeySet;
  fetchedAt: number;
}

/**
 * Fetches an issuer's `/.well-known/openid-configuration`, then its `jwks_uri`, the way STS
 * does for AssumeRoleWithWebIdentity; caches each key set for `ttlMs`. Plain http is allowed only
 * to loopback hosts (local test issuers); everything else must be https.
 */
export class OidcKeyResolver {
  private readonly cache = new Map<string, Cached>();
  private readonly inflight = new Map<string, Promise<JSONWebKeySet>>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly timeoutMs = 3_000,
  ) {}

  async keySet(issuer: string, refresh = false): Promise<JSONWebKeySet> {
    const hit = this.cache.get(issuer);
    if (hit && !refresh && Date.now() - hit.fetchedAt < this.ttlMs) return hit.keys;
    let pending = this.inflight.get(issuer);
    if (!pending) {
      pending = this.fetchKeySet(issuer).finally(() => this.inflight.delete(issuer));
      this.inflight.set(issuer, pending);
    }
    const keys = await pending;
    this.cache.set(issuer, { keys, fetchedAt: Date.now() });
    return keys;
  }

  private async fetchKeySet(issuer: string): Promise<JSONWebKeySet> {
    const discovery = await this.getJson(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
    const declared = discovery['issuer'];
    if (typeof declared === 'string' && declared.replace(/\/+$/, '') !== issuer.replace(/\/+$/, '')) {
      throw new OidcDiscoveryError(`${issuer}: the discovery document names another issuer (${declared})`);
    }
    const jwksUri = discovery['jwks_uri'];
    if (typeof jwksUri !== 'string')
      throw new OidcDiscoveryError(`${issuer}: the discovery document has no jwks_uri`);
    const jwks = await this.getJson(jwksUri);
    if (!Array.isArray(jwks['keys'])) throw new OidcDiscoveryError(`${jwksUri}: not a JSON Web Key Set`);
    return jwks as unknown as JSONWebKeySet;
  }

  private async getJson(raw: string): Promise<Record<string, unknown>> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new OidcDiscoveryError(`${raw}: not a URL`);
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackUrl(url))) {
      throw new OidcDiscoveryError(`${raw}: must be https (http only for loopback hosts)`);
    }
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs), redirect: 'error' });
    } catch (error) {
      throw new OidcDiscoveryError(`${raw}: ${(error as Error).message}`);
    }
    if (!response.ok) throw new OidcDiscoveryError(`${raw}: HTTP ${response.status}`);
    const body: unknown = await response.json().catch(() => null);
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new OidcDiscoveryError(`${raw}: not a JSON object`);
    return body as Record<string, unknown>;
  }
}
