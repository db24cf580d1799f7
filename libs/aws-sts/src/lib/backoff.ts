import { isRetryableStsError } from './sts-error.mapper';

/**
 * Bounded exponential backoff: at most `attempts` calls; the wait after the n-th doubles from
 * `baseDelayMs` up to `maxDelayMs`.
 */
export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * Full jitter: each wait is uniformly random below its ceiling, so that replicas hit by the same
   * throttle spread out. Without it the waits are the ceilings (predictable, for messages).
   */
  fullJitter?: boolean;
}

/** Seams for tests: time and randomness. */
export interface BackoffHooks {
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** An attempt's result as far as retrying goes: it worked, or it failed and says whether retrying can help. */
export type RetryableOutcome = { ok: true } | { ok: false; retryable: boolean };

/** The last attempt's outcome and how many attempts were made. */
export interface Retried<O> {
  outcome: O;
  attempts: number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The ceiling of the wait after the `attempt`-th call (1-based). */
function ceilingMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
}

/**
 * Calls `attempt` until it succeeds, fails for a reason retrying cannot fix (`retryable: false`),
 * or the policy's attempts are used up, waiting between attempts as {@link RetryPolicy} says.
 */
export async function withRetry<O extends RetryableOutcome>(
  policy: RetryPolicy,
  attempt: () => Promise<O>,
  hooks: BackoffHooks = {},
): Promise<Retried<O>> {
  const sleep = hooks.sleep ?? realSleep;
  const random = hooks.random ?? Math.random;
  let outcome = await attempt();
  let attempts = 1;
  const again = (o: RetryableOutcome) => !o.ok && o.retryable && attempts < policy.attempts;
  while (again(outcome)) {
    const ceiling = ceilingMs(policy, attempts);
    await sleep(policy.fullJitter ? Math.round(random() * ceiling) : ceiling);
    outcome = await attempt();
    attempts += 1;
  }
  return { outcome, attempts };
}

/** How errors are classified by {@link retryTransient}. */
export interface RetryTransientOptions extends BackoffHooks {
  /** Default: {@link isRetryableStsError} (transient {@link RuntrailError} codes only). */
  retryable?: (error: unknown) => boolean;
}

/**
 * {@link withRetry} for a call that throws: retries the errors `retryable` accepts and throws the
 * last error once retrying cannot help or the attempts are used up. The broker's event handler then
 * hands the run event back to JetStream, a second, slower retry layer that survives a restart.
 */
export async function retryTransient<T>(
  policy: RetryPolicy,
  call: () => Promise<T>,
  options: RetryTransientOptions = {},
): Promise<T> {
  const retryable = options.retryable ?? ((error: unknown) => isRetryableStsError(error));
  const { outcome } = await withRetry(
    policy,
    async () => {
      try {
        return { ok: true as const, value: await call() };
      } catch (error) {
        return { ok: false as const, error, retryable: retryable(error) };
      }
    },
    options,
  );
  if (outcome.ok) return outcome.value;
  throw outcome.error;
}

/** The longest the policy may wait in all, for messages ("retried 6 times over 11.5 s"). */
export function retryBudgetMs(policy: RetryPolicy): number {
  let total = 0;
  for (let attempt = 1; attempt < policy.attempts; attempt++) total += ceilingMs(policy, attempt);
  return total;
}
