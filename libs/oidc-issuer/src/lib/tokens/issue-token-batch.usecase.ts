import { Injectable, Logger } from '@nestjs/common';
import {
  IssueTokenBatchRequest,
  issueTokenBatchItem,
  parseOrThrow,
  RuntrailError,
  type ErrorBody,
  type IssueTokenBatchItemReply,
  type IssueTokenBatchReply,
  type RequestOf,
} from '@runtrail/contracts';
import { IssueTokenUseCase, type SignedToken } from './issue-token.usecase';

/** An `oidc.v1.issue.batch` request as the handler receives it (the items still unchecked). */
export type IssueTokenBatchInput = RequestOf<typeof IssueTokenBatchRequest>;

/** One item after signing: its token, or already its answer (its typed error). */
type Signed = SignedToken | IssueTokenBatchItemReply;

/**
 * Issues every token of an `oidc.v1.issue.batch` request, each exactly as `oidc.v1.issue` would
 * (`IssueTokenUseCase`: its own claims and signature), and sealed to the batch's reply key, never in
 * plaintext. Each item is checked and signed on its own: a bad item, or
 * one the issuer refuses, gets its typed error in its place and the others their tokens. The
 * tokens are then sealed, each on its own (`sealEach`: the reply key is checked and the randomness
 * drawn once per batch); a `compact` request gets each as `{ ok: true, sealed }` beside their shared
 * protected header (`sealedHeader`), the whole JWE being `<sealedHeader>.<sealed>`. A `sealTogether`
 * request (the broker's) gets them all in one JWE (`sealedTokens`: one entry per item, `null` where it
 * has its error) and each token's answer as `{ ok: true }`. An unexpected
 * failure is logged (never the token) and answered `INTERNAL`, as the single request's responder does.
 */
@Injectable()
export class IssueTokenBatchUseCase {
  private readonly log = new Logger('OidcIssueTokenBatch');

  constructor(private readonly issueToken: IssueTokenUseCase) {}

  async execute(batch: IssueTokenBatchInput): Promise<IssueTokenBatchReply> {
    const signed = batch.items.map((item, index) => this.sign(item, index));
    return batch.sealTogether ? this.sealTogether(signed, batch.replyKey) : this.sealEach(signed, batch);
  }

  /** `sealTogether`: one JWE for the whole batch (one entry per item, `null` where it has its error). */
  private async sealTogether(signed: Signed[], replyKey: IssueTokenBatchInput['replyKey']): Promise<IssueTokenBatchReply> {
    if (!signed.some((s) => 'token' in s)) return { items: signed as IssueTokenBatchItemReply[] };
    let sealedTokens: string;
    try {
      sealedTokens = await this.issueToken.sealTogether(signed.map((s) => ('token' in s ? s.token : null)), replyKey);
    } catch (error) {
      const failed = this.errorBody(error, 'reply key');
      return { items: signed.map((s) => ('token' in s ? { ok: false, error: failed } : s)) };
    }
    return { sealedTokens, items: signed.map((s) => ('token' in s ? { ok: true } : s)) };
  }

  /** Each token sealed on its own; `compact`, beside the protected header they share. */
  private async sealEach(signed: Signed[], batch: IssueTokenBatchInput): Promise<IssueTokenBatchReply> {
    const tokens = signed.filter((s): s is SignedToken => 'token' in s).map((s) => s.token);
    let sealed: string[] | ErrorBody;
    try {
      sealed = tokens.length ? await this.issueToken.sealEach(tokens, batch.replyKey) : [];
    } catch (error) {
      sealed = this.errorBody(error, 'reply key');
    }
    // One sealEach call uses one ephemeral key, so its tokens share their protected header.
    const sealedHeader = batch.compact && Array.isArray(sealed) && sealed[0] ? `${sealed[0].split('.', 1)[0]}.` : undefined;
    let next = 0;
    const items = signed.map((s): IssueTokenBatchItemReply => {
      if (!('token' in s)) return s;
      if (!Array.isArray(sealed)) return { ok: false, error: sealed };
      // sealEach answers one sealed token per token, in order.
      const sealedToken = sealed[next++] as string;
      if (sealedHeader && sealedToken.startsWith(sealedHeader)) return { ok: true, sealed: sealedToken.slice(sealedHeader.length) };
      return { ok: true, data: { sealedToken, ...s.reply } };
    });
    return sealedHeader ? { sealedHeader: sealedHeader.slice(0, -1), items } : { items };
  }

  private sign(item: unknown, index: number): Signed {
    try {
      return this.issueToken.sign(parseOrThrow(issueTokenBatchItem, item, `${IssueTokenBatchRequest.subject} item ${index}`));
    } catch (error) {
      return { ok: false, error: this.errorBody(error, `item ${index}`) };
    }
  }

  private errorBody(error: unknown, what: string): ErrorBody {
    if (error instanceof RuntrailError) return error.toJSON();
    this.log.error(`${IssueTokenBatchRequest.subject} ${what}: ${(error as Error).stack ?? String(error)}`);
    return { code: 'INTERNAL', message: `${IssueTokenBatchRequest.subject} failed unexpectedly` };
  }
}
