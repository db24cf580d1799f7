import { RuntrailError } from '@runtrail/contracts';

/** How many times and how long to retry throttling and 5xx from STS. */
export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_STS_RETRY: RetryPolicy = { attempts: 4, baseMs: 50, maxMs: 1000 };

/**
 * Runs `call`, retrying transient {@link RuntrailError}s (throttling, 5xx, network) with
 * exponential backoff and full jitter so that replicas hit by the same throttle spread out.
 * Permanent errors (access denied, validation) are thrown at once. After the last attempt the
 * transient error is thrown: the event handler then hands the run event back to JetStream, which
 * redelivers it later (a second, slower retry layer that survives a restart).
 */
export async function withStsRetry<T>(
  call: () => Promise<T>,
  policy: RetryPolicy,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  random: () => number = Math.random,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const retryable = error instanceof RuntrailError && error.transient;
      if (!retryable || attempt >= policy.attempts) throw error;
      const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
      await sleep(Math.round(random() * ceiling));
    }
  }
}
