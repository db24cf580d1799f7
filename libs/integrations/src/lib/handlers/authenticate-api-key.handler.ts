import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { AuthenticateApiKeyRequest, type AuthenticatedKey, type RequestOf } from '@runtrail/contracts';
import { OnRequest } from '@runtrail/messaging';
import { KeyAuthenticator } from '../auth/key-authenticator';

/** Answers `integrations.v1.authenticate`: audit's REST API checks keys here (only the secret's hash travels). */
@Controller()
export class AuthenticateApiKeyHandler {
  constructor(private readonly authenticator: KeyAuthenticator) {}

  @OnRequest(AuthenticateApiKeyRequest)
  async authenticate(
    @Payload() request: RequestOf<typeof AuthenticateApiKeyRequest>,
  ): Promise<AuthenticatedKey> {
    const p = await this.authenticator.authenticate(request.keyId, request.secretSha256);
    return { account: p.account, role: p.role, spaceSubtree: p.spaceSubtree, visibleSpaces: p.visibleSpaces };
  }
}
