import { RuntrailError } from '@runtrail/contracts';
import { retryBudgetMs, retryTransient, withRetry, type RetryableOutcome } from './backoff';

type Outcome = RetryableOutcome & { code?: string };
const denied: Outcome = { ok: false, code: 'AccessDenied', retryable: true };
const invalid: Outcome = { ok: false, code: 'ValidationError', retryable: false };

function script(...outcomes: Outcome[]) {
  let i = 0;
  return jest.fn(async () => outcomes[Math.min(i++, outcomes.length - 1)]!);
}

describe('withRetry', () => {
  const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 250 };

  it('retries a retryable outcome with doubling, capped delays until it succeeds', async () => {
    const delays: number[] = [];
    const result = await withRetry(policy, script(denied, denied, { ok: true }), {
      sleep: async (ms) => void delays.push(ms),
    });
    expect(result).toEqual({ outcome: { ok: true }, attempts: 3 });
    expect(delays).toEqual([100, 200]);
  });

  it('stops at the bound and says how long it may have waited', async () => {
    const delays: number[] = [];
    const result = await withRetry(policy, script(denied), { sleep: async (ms) => void delays.push(ms) });
    expect(result).toEqual({ outcome: denied, attempts: 4 });
    expect(delays).toEqual([100, 200, 250]);
    expect(retryBudgetMs(policy)).toBe(550);
  });

  it('does not retry what retrying cannot fix', async () => {
    const attempt = script(invalid, { ok: true });
    expect(await withRetry(policy, attempt, { sleep: async () => undefined })).toEqual({
      outcome: invalid,
      attempts: 1,
    });
    expect(attempt).toHaveBeenCalledTimes(1);
  });
});

describe('retryTransient', () => {
  const POLICY = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000, fullJitter: true };

  function failing(codes: Array<RuntrailError['code']>): {
    call: () => Promise<string>;
    calls: () => number;
  } {
    let n = 0;
    return {
      call: async () => {
        const code = codes[n++];
        if (code) throw new RuntrailError(code, code);
        return 'ok';
      },
      calls: () => n,
    };
  }

  it('retries throttling and 5xx with jittered, growing, capped sleeps', async () => {
    const sleeps: number[] = [];
    const f = failing(['THROTTLED', 'UPSTREAM_ERROR', 'THROTTLED']);
    await expect(
      retryTransient(POLICY, f.call, { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 }),
    ).resolves.toBe('ok');
    expect(sleeps).toEqual([50, 100, 200]);
  });

  it('gives up after the bound with the transient error (JetStream redelivers the event later)', async () => {
    const f = failing(['THROTTLED', 'THROTTLED', 'THROTTLED', 'THROTTLED', 'THROTTLED']);
    await expect(retryTransient(POLICY, f.call, { sleep: async () => undefined })).rejects.toMatchObject({
      code: 'THROTTLED',
    });
    expect(f.calls()).toBe(4);
  });

  it('does not retry a permanent refusal', async () => {
    const f = failing(['ACCESS_DENIED']);
    await expect(retryTransient(POLICY, f.call, { sleep: async () => undefined })).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
    });
    expect(f.calls()).toBe(1);
  });

  it('retries what the caller classifies as retryable', async () => {
    const f = failing(['ACCESS_DENIED', 'ACCESS_DENIED']);
    const retryable = (e: unknown) => e instanceof RuntrailError && e.code === 'ACCESS_DENIED';
    await expect(retryTransient(POLICY, f.call, { retryable, sleep: async () => undefined })).resolves.toBe(
      'ok',
    );
    expect(f.calls()).toBe(3);
  });
});
