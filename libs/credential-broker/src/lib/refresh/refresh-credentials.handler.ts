import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { CredentialsRefreshRequest, type ReplyOf, type RequestOf } from '@runtrail/contracts';
import { OnRequest } from '@runtrail/messaging';
import { RefreshCredentialsUseCase } from './refresh-credentials.usecase';

/** Answers `credentials.v1.refresh` in a queue group shared by every replica. */
@Controller()
export class RefreshCredentialsHandler {
  constructor(private readonly refresh: RefreshCredentialsUseCase) {}

  @OnRequest(CredentialsRefreshRequest)
  handle(
    @Payload() request: RequestOf<typeof CredentialsRefreshRequest>,
  ): Promise<ReplyOf<typeof CredentialsRefreshRequest>> {
    return this.refresh.execute(request);
  }
}
