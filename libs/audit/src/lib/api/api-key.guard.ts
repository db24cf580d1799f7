import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { AuthenticateApiKeyRequest, RuntrailError, type AuthenticatedKey } from '@runtrail/contracts';
import { MessageBus } from '@runtrail/messaging';
import type { Request } from 'express';
import { createHash } from 'node:crypto';
import type { AuditScope } from '../queries/audit-scope';

// integrations mints `rtk.<ULID>.<43 base64url chars>` (libs/integrations api-key.codec.ts); the
// shape is repeated here because a feature lib may not import another service's feature lib.
const API_KEY = /^rtk\.([0-9A-HJKMNP-TV-Z]{26})\.([A-Za-z0-9_-]{43})$/;
const CACHE_MS = 30_000;
const CACHE_MAX = 10_000;

type WithScope = Request & { auditScope?: AuditScope; auditRole?: AuthenticatedKey['role'] };

/**
 * Bearer API keys of integrations' model (`rtk.<keyId>.<secret>`), checked with integrations over
 * `integrations.v1.authenticate`: only the key id and the SHA-256 of the secret travel. Verdicts
 * are cached for 30 s per (key id, secret hash), so a revoked key stops working within 30 s.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly cache = new Map<string, { key: AuthenticatedKey; until: number }>();

  constructor(private readonly bus: MessageBus) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<WithScope>();
    const presented = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!presented) throw new RuntrailError('UNAUTHENTICATED', 'send an API key: Authorization: Bearer rtk.<id>.<secret>');
    const match = API_KEY.exec(presented);
    if (!match) throw new RuntrailError('UNAUTHENTICATED', 'the API key is unknown, revoked or wrong');
    const [, keyId = '', secret = ''] = match;
    const secretSha256 = createHash('sha256').update(secret, 'utf8').digest('hex');
    const key = await this.authenticate(keyId, secretSha256);
    request.auditScope = { account: key.account, visibleSpaces: key.spaceSubtree === null ? null : (key.visibleSpaces ?? [key.spaceSubtree]) };
    request.auditRole = key.role;
    return true;
  }

  private async authenticate(keyId: string, secretSha256: string): Promise<AuthenticatedKey> {
    const cacheKey = `${keyId}:${secretSha256}`;
    const hit = this.cache.get(cacheKey);
    if (hit && hit.until > Date.now()) return hit.key;
    const key = await this.bus.request(AuthenticateApiKeyRequest, { keyId, secretSha256 }, { timeoutMs: 5000 });
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(cacheKey, { key, until: Date.now() + CACHE_MS });
    return key;
  }
}

/** The scope the {@link ApiKeyGuard} authenticated for this request. */
export const Scope = createParamDecorator((_: unknown, context: ExecutionContext): AuditScope => {
  const scope = context.switchToHttp().getRequest<WithScope>().auditScope;
  if (!scope) throw new RuntrailError('UNAUTHENTICATED', 'no API key was checked for this route');
  return scope;
});

/** The role of the request's API key (`admin` or `reader`). */
export const KeyRole = createParamDecorator((_: unknown, context: ExecutionContext): AuthenticatedKey['role'] | null =>
  context.switchToHttp().getRequest<WithScope>().auditRole ?? null);
