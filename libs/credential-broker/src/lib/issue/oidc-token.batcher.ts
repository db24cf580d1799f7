import {
  IssueTokenBatchRequest,
  IssueTokenRequest,
  ISSUE_TOKEN_BATCH_MAX,
  issueTokenBatchItem,
  issueTokenBatchItemReply,
  parseOrThrow,
  RuntrailError,
  sealedTogether,
  type IssueTokenBatchItem,
} from '@runtrail/contracts';
import type { MessageBus } from '@runtrail/messaging';
import { open, RotatingSealingKeyPair, type SealingKeyPair } from '@runtrail/sealing';
import { z } from 'zod';

/** Options of an {@link OidcTokenBatcher}; production uses the defaults. */
export interface OidcTokenBatcherOptions {
  /** How long one reply key serves (the broker's `OIDC_REPLY_KEY_TTL_MS`). */
  replyKeyTtlMs: number;
  /** The most tokens in one `oidc.v1.issue.batch` (default and ceiling: the contract's 64). */
  maxBatch?: number;
  /**
   * How many batches may be on their way before tokens wait for others (default 2: the issuer works
   * on one while this side opens the other, so neither process waits for the other).
   */
  pipeline?: number;
  /** How long tokens asked while `pipeline` batches are on their way wait for others (default 1 ms). */
  windowMs?: number;
  /** How long a batch (or a single request) may take before its tokens fail with `TIMEOUT` (default 10 s). */
  timeoutMs?: number;
  /** How long an issuer without `oidc.v1.issue.batch` (an older version) is asked one token at a time (default 60 s). */
  singleRetryMs?: number;
  /** Milliseconds since the epoch (a seam for tests; default Date.now). */
  now?: () => number;
}

interface Waiting {
  item: IssueTokenBatchItem;
  resolve(token: string): void;
  reject(error: unknown): void;
}

const tokenText = z.string();

/**
 * The broker's client of oidc-issuer: coalesces the tokens its concurrent issuances ask for into
 * `oidc.v1.issue.batch` requests, so the per-message cost (round trip, envelope, socket writes) is
 * shared. While fewer than `pipeline` batches are on their way, a token goes out on the next turn of
 * the event loop with whatever was asked in the same turn (split to fill the pipeline): no added
 * latency at low load. Otherwise tokens wait until a batch comes back, `windowMs` ends or `maxBatch`
 * are waiting, whichever is first. Each token is sealed to the replica's reply key (rotated every
 * `replyKeyTtlMs`) and opened here (asked `sealTogether`: a batch's tokens come as one JWE, opened
 * once; an issuer that predates it answers `compact` or in full; each answer checked once, here);
 * each fails on its own (a bad item, a
 * refusal, a malformed answer), and a batch that gets no answer fails its tokens with that error. An issuer that
 * does not answer the batch subject (an older version) gets `oidc.v1.issue` per token instead.
 */
export class OidcTokenBatcher {
  private readonly replyKeys: RotatingSealingKeyPair;
  private readonly maxBatch: number;
  private readonly pipeline: number;
  private readonly windowMs: number;
  private readonly timeoutMs: number;
  private readonly singleRetryMs: number;
  private readonly now: () => number;
  private waiting: Waiting[] = [];
  /** What sends the waiting tokens: on the next turn of the event loop, or when the window ends. */
  private flushTimer?: { immediate: NodeJS.Immediate } | { timeout: NodeJS.Timeout };
  private batchesOnTheirWay = 0;
  private singleUntil = 0;

  constructor(
    private readonly bus: Pick<MessageBus, 'request'>,
    options: OidcTokenBatcherOptions,
  ) {
    this.replyKeys = new RotatingSealingKeyPair({ ttlMs: options.replyKeyTtlMs, now: options.now });
    this.maxBatch = Math.min(Math.max(1, options.maxBatch ?? ISSUE_TOKEN_BATCH_MAX), ISSUE_TOKEN_BATCH_MAX);
    this.pipeline = Math.max(1, options.pipeline ?? 2);
    this.windowMs = options.windowMs ?? 1;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.singleRetryMs = options.singleRetryMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * A compact JWT from oidc-issuer for `request`, never in plaintext on NATS.
   *
   * @throws RuntrailError `VALIDATION_FAILED` for a request the contract refuses (before anything is
   *   sent); the issuer's error for this token; `NO_RESPONDERS`, `TIMEOUT` or `UNAVAILABLE` when
   *   oidc-issuer cannot be reached.
   */
  token(request: IssueTokenBatchItem): Promise<string> {
    let item: IssueTokenBatchItem;
    try {
      item = parseOrThrow(issueTokenBatchItem, request, `${IssueTokenRequest.subject} request`);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<string>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.waiting.length >= this.maxBatch) this.flush();
      else if (!this.flushTimer) {
        const flush = () => this.flush();
        this.flushTimer =
          this.batchesOnTheirWay < this.pipeline ? { immediate: setImmediate(flush) } : { timeout: setTimeout(flush, this.windowMs) };
      }
    });
  }

  private flush(): void {
    // Each handle to its own clear function: clearImmediate given a Timeout corrupts Node's queue of immediates.
    if (this.flushTimer && 'immediate' in this.flushTimer) clearImmediate(this.flushTimer.immediate);
    else if (this.flushTimer) clearTimeout(this.flushTimer.timeout);
    this.flushTimer = undefined;
    // With the pipeline not full, what waits is split to fill it (a lone token stays one batch).
    const parts = Math.max(1, this.pipeline - this.batchesOnTheirWay);
    const size = Math.min(this.maxBatch, Math.ceil(this.waiting.length / parts));
    while (this.waiting.length) {
      const batch = this.waiting.splice(0, size);
      this.batchesOnTheirWay++;
      void this.send(batch).finally(() => {
        this.batchesOnTheirWay--;
        // A batch came back: what waits for the window goes now.
        if (this.waiting.length && this.flushTimer && 'timeout' in this.flushTimer) this.flush();
      });
    }
  }

  private async send(batch: Waiting[]): Promise<void> {
    let replyKey: SealingKeyPair;
    try {
      replyKey = await this.replyKeys.get();
    } catch (error) {
      return batch.forEach((w) => w.reject(error));
    }
    if (this.now() < this.singleUntil) return this.sendOneByOne(batch, replyKey);
    try {
      const reply = await this.bus.request(
        IssueTokenBatchRequest,
        // sealTogether: the batch's tokens in one JWE (an older issuer answers compact, or in full).
        { replyKey: replyKey.publicJwk, items: batch.map((w) => w.item), compact: true, sealTogether: true },
        { timeoutMs: this.timeoutMs },
      );
      if (reply.items.length !== batch.length) {
        throw new RuntrailError('UNAVAILABLE', `${IssueTokenBatchRequest.subject} answered ${reply.items.length} of ${batch.length} tokens`);
      }
      const together = reply.sealedTokens === undefined ? undefined : await this.openTogether(reply.sealedTokens, batch.length, replyKey);
      await Promise.all(reply.items.map(async (item, i) => batch[i] && this.take(item, i, batch[i], replyKey, reply.sealedHeader, together)));
    } catch (error) {
      if (error instanceof RuntrailError && error.code === 'NO_RESPONDERS') {
        this.singleUntil = this.now() + this.singleRetryMs;
        return this.sendOneByOne(batch, replyKey);
      }
      batch.forEach((w) => w.reject(error));
    }
  }

  /** A `sealTogether` reply's tokens, opened once for the batch: one entry per item. */
  private async openTogether(sealedTokens: string, items: number, replyKey: SealingKeyPair): Promise<(string | null)[]> {
    const tokens = await open(sealedTokens, replyKey.privateKey, sealedTogether);
    if (tokens.length !== items) {
      throw new RuntrailError('UNAVAILABLE', `${IssueTokenBatchRequest.subject} sealed ${tokens.length} entries for ${items} tokens`);
    }
    return tokens;
  }

  /**
   * Settles a token with its answer: checked here, once (the reply's envelope leaves items
   * unchecked), then opened, or taken from what `sealTogether` opened for the batch.
   */
  private async take(
    item: unknown,
    index: number,
    w: Waiting,
    replyKey: SealingKeyPair,
    sealedHeader?: string,
    together?: (string | null)[],
  ): Promise<void> {
    try {
      const what = `${IssueTokenBatchRequest.subject} reply item ${index}`;
      const answer = parseOrThrow(issueTokenBatchItemReply, item, what);
      if (!answer.ok) return w.reject(RuntrailError.fromBody(answer.error));
      if ('data' in answer) return w.resolve(await open(answer.data.sealedToken, replyKey.privateKey, tokenText));
      if ('sealed' in answer) {
        if (sealedHeader === undefined) throw new RuntrailError('VALIDATION_FAILED', `${what}: a sealed token without the reply's sealedHeader`);
        return w.resolve(await open(`${sealedHeader}.${answer.sealed}`, replyKey.privateKey, tokenText));
      }
      const token = together?.[index];
      if (typeof token !== 'string') throw new RuntrailError('VALIDATION_FAILED', `${what}: no token for it in the reply's sealedTokens`);
      w.resolve(token);
    } catch (error) {
      w.reject(error);
    }
  }

  /** `oidc.v1.issue` per token, for an issuer that predates the batch subject. */
  private async sendOneByOne(batch: Waiting[], replyKey: SealingKeyPair): Promise<void> {
    await Promise.all(
      batch.map(async (w) => {
        try {
          const reply = await this.bus.request(
            IssueTokenRequest,
            { ...w.item, replyKey: replyKey.publicJwk },
            { timeoutMs: this.timeoutMs },
          );
          w.resolve(await open(reply.sealedToken, replyKey.privateKey, tokenText));
        } catch (error) {
          w.reject(error);
        }
      }),
    );
  }
}
