import type { AssumeOutcome } from '../sts/sts.gateway';
import { retryBudgetMs, withRetry } from './retry.policy';

const denied: AssumeOutcome = { ok: false, code: 'AccessDenied', message: 'no', retryable: true };
const invalid: AssumeOutcome = { ok: false, code: 'ValidationError', message: 'bad', retryable: false };

function script(...outcomes: AssumeOutcome[]) {
  let i = 0;
  return jest.fn(async () => outcomes[Math.min(i++, outcomes.length - 1)]!);
}

describe('withRetry', () => {
  const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 250 };

  it('retries a retryable refusal with doubling, capped delays until it succeeds', async () => {
    const delays: number[] = [];
    const result = await withRetry(
      policy,
      script(denied, denied, { ok: true }),
      async (ms) => void delays.push(ms),
    );
    expect(result).toEqual({ outcome: { ok: true }, attempts: 3 });
    expect(delays).toEqual([100, 200]);
  });

  it('stops at the bound', async () => {
    const delays: number[] = [];
    const result = await withRetry(policy, script(denied), async (ms) => void delays.push(ms));
    expect(result.attempts).toBe(4);
    expect(delays).toEqual([100, 200, 250]);
    expect(retryBudgetMs(policy)).toBe(550);
  });

  it('does not retry what retrying cannot fix', async () => {
    const attempt = script(invalid, { ok: true });
    expect(await withRetry(policy, attempt, async () => undefined)).toEqual({
      outcome: invalid,
      attempts: 1,
    });
    expect(attempt).toHaveBeenCalledTimes(1);
  });
});
