import { RuntrailError } from '@runtrail/contracts';
import { withStsRetry } from './sts-retry';

const POLICY = { attempts: 4, baseMs: 100, maxMs: 1000 };

function failing(codes: Array<RuntrailError['code']>): { call: () => Promise<string>; calls: () => number } {
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

describe('withStsRetry', () => {
  it('retries throttling and 5xx with jittered, growing, capped sleeps', async () => {
    const sleeps: number[] = [];
    const f = failing(['THROTTLED', 'UPSTREAM_ERROR', 'THROTTLED']);
    await expect(
      withStsRetry(
        f.call,
        POLICY,
        async (ms) => void sleeps.push(ms),
        () => 0.5,
      ),
    ).resolves.toBe('ok');
    expect(sleeps).toEqual([50, 100, 200]);
  });

  it('gives up after the bound with the transient error (JetStream redelivers the event later)', async () => {
    const f = failing(['THROTTLED', 'THROTTLED', 'THROTTLED', 'THROTTLED', 'THROTTLED']);
    await expect(withStsRetry(f.call, POLICY, async () => undefined)).rejects.toMatchObject({
      code: 'THROTTLED',
    });
    expect(f.calls()).toBe(4);
  });

  it('does not retry a permanent refusal', async () => {
    const f = failing(['ACCESS_DENIED']);
    await expect(withStsRetry(f.call, POLICY, async () => undefined)).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
    });
    expect(f.calls()).toBe(1);
  });
});
