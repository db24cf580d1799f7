import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ApiRateLimits, RateLimiter } from '@runtrail/bootstrap';
import {
  apiKeyFromAuthorization,
  AuthenticateApiKeyRequest,
  RuntrailError,
  type AuthenticatedKey,
} from '@runtrail/contracts';
import { MessageBus } from '@runtrail/messaging';
import type { Request } from 'express';
import type { AuditScope } from '../queries/audit-scope';

const CACHE_MS = 30_000;
const CACHE_MAX = 10_000;

type WithScope = Request & { auditScope?: AuditScope; auditRole?: AuthenticatedKey['role']; auditKeyId?: string };

/**
 * Bearer API keys of integrations' model (`rtk.<keyId>.<secret>`), checked with integrations over
 * `integrations.v1.authenticate`: only the key id and the SHA-256 of the secret travel. Verdicts
 * are cached for 30 s per (key id, secret hash), so a revoked key stops working within 30 s. Each
 * authenticated request counts against its key's and its account's rate limits (429).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly cache = new Map<string, { key: AuthenticatedKey; until: number }>();

  constructor(
    private readonly bus: MessageBus,
    private readonly limiter: RateLimiter,
    private readonly limits: ApiRateLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<WithScope>();
    const { id, secretSha256 } = apiKeyFromAuthorization(request.headers.authorization);
    const key = await this.authenticate(id, secretSha256);
    await this.limiter.take(this.limits.hitsOf({ keyId: id, account: key.account }));
    request.auditScope = {
      account: key.account,
      visibleSpaces: key.spaceSubtree === null ? null : (key.visibleSpaces ?? [key.spaceSubtree]),
    };
    request.auditRole = key.role;
    request.auditKeyId = id;
    return true;
  }

  private async authenticate(keyId: string, secretSha256: string): Promise<AuthenticatedKey> {
    const cacheKey = `${keyId}:${secretSha256}`;
    const hit = this.cache.get(cacheKey);
    if (hit && hit.until > Date.now()) return hit.key;
    const key = await this.bus.request(
      AuthenticateApiKeyRequest,
      { keyId, secretSha256 },
      { timeoutMs: 5000 },
    );
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
export const KeyRole = createParamDecorator(
  (_: unknown, context: ExecutionContext): AuthenticatedKey['role'] | null =>
    context.switchToHttp().getRequest<WithScope>().auditRole ?? null,
);

/** The key that made the request, as the admin log records its actor. */
export interface RequestKey {
  keyId: string;
  role: AuthenticatedKey['role'];
  scope: AuditScope;
}

/** The {@link ApiKeyGuard}'s key id, role and scope for this request. */
export const RequestKeyOf = createParamDecorator((_: unknown, context: ExecutionContext): RequestKey => {
  const request = context.switchToHttp().getRequest<WithScope>();
  if (!request.auditScope || !request.auditRole || !request.auditKeyId)
    throw new RuntrailError('UNAUTHENTICATED', 'no API key was checked for this route');
  return { keyId: request.auditKeyId, role: request.auditRole, scope: request.auditScope };
});
