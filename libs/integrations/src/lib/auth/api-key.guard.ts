import { createParamDecorator, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { RuntrailError } from '@runtrail/contracts';
import type { Request } from 'express';
import { parseApiKey } from './api-key.codec';
import { KeyAuthenticator } from './key-authenticator';
import { Principal } from './principal';

type AuthenticatedRequest = Request & { principal?: Principal };

/** Every `/v1` route but account bootstrap and the OpenAPI document needs `Authorization: Bearer rtk.…`. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly authenticator: KeyAuthenticator) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1])
      throw new RuntrailError('UNAUTHENTICATED', 'send an API key: Authorization: Bearer rtk.<id>.<secret>');
    const parsed = parseApiKey(match[1]);
    if (!parsed) throw new RuntrailError('UNAUTHENTICATED', 'the API key is unknown, revoked or wrong');
    request.principal = await this.authenticator.authenticate(parsed.id, parsed.secretSha256);
    return true;
  }
}

/** The caller {@link ApiKeyGuard} authenticated. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new RuntrailError('UNAUTHENTICATED', 'no API key was checked for this route');
  return principal;
});
