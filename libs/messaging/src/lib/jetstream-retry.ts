import { retryTransient, type RetryPolicy } from '@runtrail/aws-sts';

/**
 * Errors no wait can fix: the user may not do this (deploy/nats/auth.conf), or the request itself
 * is wrong (a consumer setting the server refuses). Everything else — a timeout or "no responders"
 * while the cluster elects a meta or stream leader, "jetstream not enabled" from a node that lost
 * its peers, a stream the setup step has not made yet, a dropped connection — passes with time.
 */
export function isLastingJetStreamError(error: unknown): boolean {
  const text = error instanceof Error ? `${error.name} ${error.message}` : String(error);
  if (/permissions? violation|authorization/i.test(text)) return true;
  const api = error as { code?: unknown; api_error?: { code?: unknown } } | null;
  const code = api?.api_error?.code ?? api?.code;
  return code === 400 && !/not found|leader|unavailable|timeout/i.test(text);
}

/**
 * The wait between JetStream attempts: the repo's one backoff (`withRetry`), with full jitter so
 * replicas spread out, capped at 1 s: an election ends at a moment no client knows, and every
 * call made through it (a publish, a consumer lookup) waits up to the cap past that moment. With
 * 4 s, a run's delivery came up to 4 s after the DELIVERIES stream had its new leader. An attempt
 * during an election is cheap (no responders comes back at once).
 */
export const JETSTREAM_RETRY: Omit<RetryPolicy, 'attempts'> = { baseDelayMs: 250, maxDelayMs: 1_000, fullJitter: true };

export interface RetryJetStreamOptions {
  /** What the call does, for the log and the final error ("create consumer RUNS/credential-broker"). */
  what: string;
  /** Give up after this long (the CLI); absent: retry until it works (a service waits for the cluster). */
  budgetMs?: number;
  /** Told once per distinct reason while it waits. */
  log?: (line: string) => void;
}

/**
 * Runs a JetStream call (consumer creation, CONSUMER.INFO, stream checks) through a cluster's
 * elections and a setup step that has not run yet: retried with {@link JETSTREAM_RETRY} on every
 * error but a lasting one ({@link isLastingJetStreamError}), for `budgetMs` at most.
 *
 * @throws the lasting error at once, or after the budget an Error saying how long it tried and why
 */
export async function retryJetStream<T>(call: () => Promise<T>, options: RetryJetStreamOptions): Promise<T> {
  const started = Date.now();
  const told = new Set<string>();
  let attempts = 0;
  let last: unknown;
  const retryable = (error: unknown) => {
    last = error;
    if (isLastingJetStreamError(error)) return false;
    if (options.budgetMs !== undefined && Date.now() - started >= options.budgetMs) return false;
    const reason = error instanceof Error ? error.message : String(error);
    if (!told.has(reason)) options.log?.(`${options.what}: ${reason}; retrying (cluster election or setup not run yet?)`);
    told.add(reason);
    return true;
  };
  try {
    return await retryTransient(
      { ...JETSTREAM_RETRY, attempts: Number.POSITIVE_INFINITY },
      () => {
        attempts += 1;
        return call();
      },
      { retryable },
    );
  } catch (error) {
    if (error !== last || isLastingJetStreamError(error) || attempts === 1) throw error;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `${options.what} failed for ${seconds} s (${attempts} attempts) while NATS JetStream had no leader or was unreachable; last error: ${reason}`,
      { cause: error },
    );
  }
}
