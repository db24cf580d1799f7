import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { IssueTokenBatchRequest, IssueTokenRequest, type IssueTokenBatchReply, type IssueTokenReply } from '@runtrail/contracts';
import { OnRequest } from '@runtrail/messaging';
import { IssueTokenBatchUseCase, type IssueTokenBatchInput } from './issue-token-batch.usecase';
import { IssueTokenUseCase } from './issue-token.usecase';
import type { IssueTokenInput } from './token-claims';

/** Answers `oidc.v1.issue` and `oidc.v1.issue.batch`, each in a queue group shared by every replica. */
@Controller()
export class IssueTokenHandler {
  constructor(
    private readonly issueToken: IssueTokenUseCase,
    private readonly issueTokens: IssueTokenBatchUseCase,
  ) {}

  @OnRequest(IssueTokenRequest)
  issue(@Payload() request: IssueTokenInput): Promise<IssueTokenReply> {
    return this.issueToken.execute(request);
  }

  @OnRequest(IssueTokenBatchRequest)
  issueBatch(@Payload() batch: IssueTokenBatchInput): Promise<IssueTokenBatchReply> {
    return this.issueTokens.execute(batch);
  }
}
