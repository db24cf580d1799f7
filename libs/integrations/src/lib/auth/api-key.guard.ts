import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ApiRateLimits, RateLimiter } from '@runtrail/bootstrap';
import { apiKeyFromAuthorization, RuntrailError } from '@runtrail/contracts';
import type { Request } from 'express';
import { KeyAuthenticator } from './key-authenticator';
import { Principal } from './principal';

type AuthenticatedRequest = Request & { principal?: Principal };

/**
 * Every `/v1` route but account bootstrap and the OpenAPI document needs `Authorization: Bearer rtk.…`.
 * An authenticated request then counts against its key's and its account's rate limits (429).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly authenticator: KeyAuthenticator,
    private readonly limiter: RateLimiter,
    private readonly limits: ApiRateLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const parsed = apiKeyFromAuthorization(request.headers.authorization);
    const principal = await this.authenticator.authenticate(parsed.id, parsed.secretSha256);
    await this.limiter.take(this.limits.hitsOf(principal));
    request.principal = principal;
    return true;
  }
}

/** The caller {@link ApiKeyGuard} authenticated. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new RuntrailError('UNAUTHENTICATED', 'no API key was checked for this route');
  return principal;
});
