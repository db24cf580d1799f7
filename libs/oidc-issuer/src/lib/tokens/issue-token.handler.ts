import { Controller, UseFilters } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { IssueTokenRequest, type IssueTokenReply } from '@runtrail/contracts';
import { OnRequest, RpcPassthroughFilter } from '@runtrail/messaging';
import { IssueTokenUseCase } from './issue-token.usecase';
import type { IssueTokenInput } from './token-claims';

/**
 * Answers `oidc.v1.issue` in a queue group shared by every replica. The passthrough filter is set
 * here as well as globally: in a hybrid (HTTP + NATS) app Nest's default RPC filter would otherwise
 * turn every RuntrailError into a bare "Internal server error" and lose its code.
 */
@Controller()
@UseFilters(RpcPassthroughFilter)
export class IssueTokenHandler {
  constructor(private readonly issueToken: IssueTokenUseCase) {}

  @OnRequest(IssueTokenRequest)
  issue(@Payload() request: IssueTokenInput): Promise<IssueTokenReply> {
    return this.issueToken.execute(request);
  }
}
