import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { CreateAccountUseCase } from './create-account.usecase';

/**
 * `POST /v1/accounts` is for whoever holds the bootstrap token, checked as a guard so that it comes
 * before the body is looked at: without the token, a bad body says nothing about what is expected.
 */
@Injectable()
export class BootstrapTokenGuard implements CanActivate {
  constructor(private readonly createAccount: CreateAccountUseCase) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? null;
    this.createAccount.authenticate(token);
    return true;
  }
}
