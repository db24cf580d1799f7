// Frozen: v1 subjects and fields may gain optional members; anything breaking is a new major.
import { z } from 'zod';
import { defineRequest } from '../lib/define';
import { ERROR_CODES } from '../lib/errors';
import { publicEcJwk } from '../lib/primitives';
import { IssueTokenRequest } from './issue-token.request';

/** The most tokens one `oidc.v1.issue.batch` request may ask for. */
export const ISSUE_TOKEN_BATCH_MAX = 64;

/** One token of a batch: an `oidc.v1.issue` request without its `replyKey` (the batch has one for all). */
export const issueTokenBatchItem = IssueTokenRequest.request.omit({ replyKey: true });
export type IssueTokenBatchItem = z.input<typeof issueTokenBatchItem>;

/** A typed error of one item (the `ErrorBody` every runtrail reply carries). */
const itemError = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), rule: z.string() })).optional(),
});

/**
 * One answer of an `oidc.v1.issue.batch` reply: the token exactly as `oidc.v1.issue` answers it
 * (`data`), or, when the request asked for `compact`, only its sealed token without the protected
 * header the reply carries once (`sealed`: `<encrypted key>.<iv>.<ciphertext>.<tag>`, the whole JWE
 * being `<sealedHeader>.<sealed>`, checked as it is opened), or the item's typed error. The reply's
 * envelope leaves its items unchecked (`IssueTokenBatchRequest`); the requester checks each with this
 * schema once, as it takes the item.
 */
export const issueTokenBatchItemReply = z.union([
  z.object({ ok: z.literal(true), sealed: z.string().min(1) }),
  z.object({ ok: z.literal(true), data: IssueTokenRequest.reply }),
  z.object({ ok: z.literal(false), error: itemError }),
  // Asked `sealTogether`: the token is this item's entry in the reply's `sealedTokens`.
  z.strictObject({ ok: z.literal(true) }),
]);
export type IssueTokenBatchItemReply = z.infer<typeof issueTokenBatchItemReply>;

/**
 * `oidc.v1.issue.batch` (the broker only): several `oidc.v1.issue` requests in one message, so the
 * per-message cost (the round trip, the envelope, the socket writes) is paid once for up to
 * {@link ISSUE_TOKEN_BATCH_MAX} tokens. Every token is sealed to `replyKey`, never in plaintext: on
 * its own (its own content key and IV, exactly as an `oidc.v1.issue` reply), or with `sealTogether`
 * all in one JWE. Items are checked one by one (`issueTokenBatchItem`), so a bad item gets its own
 * error and never fails the others; the reply has one entry per item, in order, each checked once,
 * by the requester (`issueTokenBatchItemReply`): the envelope's schema checks only that it is a list, so the issuer
 * does not check the answers it just built and the requester does not check them twice.
 *
 * `compact` (optional, added later; an issuer that predates it ignores it and answers `data`): the
 * requester needs only the tokens, so each answer is `{ ok: true, sealed }` and the JWE protected
 * header the tokens share (`alg`, `enc`, `kid`, the issuer's ephemeral `epk`: public, the same for
 * every token sealed to one reply key in one batch, and still each token's authenticated data) comes
 * once, as `sealedHeader`. About a third fewer bytes per token; the sealing itself is unchanged.
 *
 * `sealTogether` (optional, added after `compact`; an issuer that predates it ignores it and answers as
 * it did): every token of the batch goes to the same requester, so they are sealed together, as one JWE
 * (`sealedTokens`, the same ECDH-ES+A256KW / A256GCM to `replyKey`) whose content is a JSON array with
 * one entry per item, in order: the item's token, or `null` where the item has its error. Each token's
 * answer is then `{ ok: true }`. One content key, one key wrap and one authentication tag per batch
 * instead of per token, on both sides; tokens are still never in plaintext on NATS.
 * `oidc.v1.issue` stays as it was for the verifier and older brokers.
 */
export const IssueTokenBatchRequest = defineRequest({
  subject: 'oidc.v1.issue.batch',
  request: z.object({
    replyKey: publicEcJwk,
    items: z.array(z.unknown()).min(1).max(ISSUE_TOKEN_BATCH_MAX),
    compact: z.literal(true).optional(),
    sealTogether: z.literal(true).optional(),
  }),
  reply: z.object({
    /** With `compact`: the protected header (first part) of every `sealed` answer's JWE. */
    sealedHeader: z.string().optional(),
    /** With `sealTogether`: one JWE sealed to `replyKey`, content {@link sealedTogether}. */
    sealedTokens: z.string().optional(),
    items: z.array(z.unknown()).max(ISSUE_TOKEN_BATCH_MAX),
  }),
});
/** An `oidc.v1.issue.batch` reply as the issuer builds it (the contract's envelope leaves items unchecked). */
export interface IssueTokenBatchReply {
  sealedHeader?: string;
  sealedTokens?: string;
  items: IssueTokenBatchItemReply[];
}

/**
 * The content of a `sealTogether` reply's `sealedTokens`: one entry per item, in order, the item's
 * compact JWT or `null` where the item has its error (checked by the requester as it opens it, and
 * that it has as many entries as the batch has items).
 */
export const sealedTogether = z.array(z.string().min(1).nullable()).max(ISSUE_TOKEN_BATCH_MAX);
