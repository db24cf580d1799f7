import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { IssueTokenRequest, type IssueTokenReply } from '@runtrail/contracts';
import { OnRequest } from '@runtrail/messaging';
import { IssueTokenUseCase } from './issue-token.usecase';
import type { IssueTokenInput } from './token-claims';

/** Answers `oidc.v1.issue` in a queue group shared by every replica. */
@Controller()
export class IssueTokenHandler {
  constructor(private readonly issueToken: IssueTokenUseCase) {}

  @OnRequest(IssueTokenRequest)
  issue(@Payload() request: IssueTokenInput): Promise<IssueTokenReply> {
    return this.issueToken.execute(request);
  }
}
