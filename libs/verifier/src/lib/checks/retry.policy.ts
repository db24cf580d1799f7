import type { AssumeOutcome } from '../sts/sts.gateway';

/** Bounded exponential backoff for IAM eventual consistency. */
export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** The outcome of the last attempt and how many were made. */
export interface RetriedOutcome {
  outcome: AssumeOutcome;
  attempts: number;
}

/**
 * Calls `attempt` until it succeeds, fails for a reason retrying cannot fix, or the policy's
 * attempts are used up; delays double from `baseDelayMs` up to `maxDelayMs`.
 */
export async function withRetry(
  policy: RetryPolicy,
  attempt: () => Promise<AssumeOutcome>,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<RetriedOutcome> {
  let outcome = await attempt();
  let attempts = 1;
  while (!outcome.ok && outcome.retryable && attempts < policy.attempts) {
    await sleep(Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempts - 1)));
    outcome = await attempt();
    attempts += 1;
  }
  return { outcome, attempts };
}

/** The total time the policy may wait between attempts, for messages ("retried for up to 11.5 s"). */
export function retryBudgetMs(policy: RetryPolicy): number {
  let total = 0;
  for (let i = 1; i < policy.attempts; i++)
    total += Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (i - 1));
  return total;
}
