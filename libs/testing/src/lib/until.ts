export interface UntilOptions {
  /** how long to wait before giving up (default 15 s) */
  timeoutMs?: number;
  /** the pause between two checks (default 20 ms) */
  intervalMs?: number;
  /** what is awaited, for the error when it does not come */
  what?: string;
}

/**
 * Resolves once `check` holds, checking again after each pause.
 * @throws Error naming `what` when it still does not hold after the timeout
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  options: UntilOptions = {},
): Promise<void> {
  const { timeoutMs = 15_000, intervalMs = 20, what = 'condition' } = options;
  for (const deadline = Date.now() + timeoutMs; !(await check());) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
