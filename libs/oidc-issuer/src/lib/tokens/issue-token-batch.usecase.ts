import { Injectable, Logger } from '@nestjs/common';
import {
  IssueTokenBatchRequest,
  issueTokenBatchItem,
  parseOrThrow,
  RuntrailError,
  type IssueTokenBatchItemReply,
  type IssueTokenBatchReply,
  type RequestOf,
} from '@runtrail/contracts';
import { IssueTokenUseCase } from './issue-token.usecase';

/** An `oidc.v1.issue.batch` request as the handler receives it (the items still unchecked). */
export type IssueTokenBatchInput = RequestOf<typeof IssueTokenBatchRequest>;

/**
 * Issues every token of an `oidc.v1.issue.batch` request, each exactly as `oidc.v1.issue` would
 * (`IssueTokenUseCase`: its own claims, signature and sealing to the batch's reply key). Each item
 * is checked and issued on its own: a bad item, or one the issuer refuses, gets its typed error in
 * its place and the others their tokens. An unexpected failure is logged (never the token) and
 * answered `INTERNAL`, as the single request's responder does.
 */
@Injectable()
export class IssueTokenBatchUseCase {
  private readonly log = new Logger('OidcIssueTokenBatch');

  constructor(private readonly issueToken: IssueTokenUseCase) {}

  async execute(batch: IssueTokenBatchInput): Promise<IssueTokenBatchReply> {
    const items = await Promise.all(batch.items.map((item, index) => this.one(item, index, batch.replyKey)));
    return { items };
  }

  private async one(item: unknown, index: number, replyKey: IssueTokenBatchInput['replyKey']): Promise<IssueTokenBatchItemReply> {
    try {
      const request = parseOrThrow(issueTokenBatchItem, item, `${IssueTokenBatchRequest.subject} item ${index}`);
      return { ok: true, data: await this.issueToken.execute({ ...request, replyKey }) };
    } catch (error) {
      if (error instanceof RuntrailError) return { ok: false, error: error.toJSON() };
      this.log.error(`${IssueTokenBatchRequest.subject} item ${index}: ${(error as Error).stack ?? String(error)}`);
      return { ok: false, error: { code: 'INTERNAL', message: `${IssueTokenBatchRequest.subject} failed unexpectedly` } };
    }
  }
}
