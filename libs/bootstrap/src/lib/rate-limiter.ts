import type { OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { ProblemError } from './problem-json.filter';

/** One limit: at most `limit` hits per `windowMs` for each key. */
export interface RateLimit {
  /** Names the limited thing in errors and logs: `API key`, `account`, `run`. */
  name: string;
  limit: number;
  windowMs: number;
}

/**
 * Fixed-window limits on NestJS's throttler storage (in memory, per replica: N replicas allow up to
 * N times the limit, which still bounds one tenant's share of the shared STS identity). A key that
 * goes over is refused for the rest of the window.
 */
export class RateLimiter implements OnApplicationShutdown {
  private readonly storage = new ThrottlerStorageService();

  /**
   * Counts one hit of `key` against every limit.
   *
   * @throws ProblemError `THROTTLED` (HTTP 429 with `Retry-After`) naming the limit that was hit.
   */
  async take(hits: ReadonlyArray<{ limit: RateLimit; key: string }>): Promise<void> {
    for (const { limit, key } of hits) {
      const record = await this.storage.increment(
        `${limit.name}:${key}`,
        limit.windowMs,
        limit.limit,
        limit.windowMs,
        limit.name,
      );
      if (record.isBlocked) {
        const retryAfterSeconds = Math.max(1, Math.ceil(record.timeToBlockExpire));
        throw new ProblemError(
          'THROTTLED',
          `too many requests for this ${limit.name} (at most ${limit.limit} per ${limit.windowMs / 1000} s); retry after ${retryAfterSeconds} s`,
          { retryAfterSeconds },
        );
      }
    }
  }

  onApplicationShutdown(): void {
    this.storage.onApplicationShutdown();
  }
}

/** The REST limits every API applies after authenticating a key: per key and per account. */
export class ApiRateLimits {
  readonly perKey: RateLimit;
  readonly perAccount: RateLimit;

  constructor(perKeyPerMinute: number, perAccountPerMinute: number) {
    this.perKey = { name: 'API key', limit: perKeyPerMinute, windowMs: 60_000 };
    this.perAccount = { name: 'account', limit: perAccountPerMinute, windowMs: 60_000 };
  }

  /** The hits one authenticated request counts. */
  hitsOf(principal: { keyId: string; account: string }) {
    return [
      { limit: this.perKey, key: principal.keyId },
      { limit: this.perAccount, key: principal.account },
    ];
  }
}
