import { RateBudget } from './rate-budget';

describe('RateBudget', () => {
  it('never lets a third request start within a second of the first finishing, even when requests finish late', async () => {
    let now = 0;
    const starts: number[] = [];
    const budget = new RateBudget(2, 20, () => now, async (ms) => {
      now += ms;
    });
    // Each request takes 300 ms: arrival at the far end can be anywhere in it.
    const request = async () => {
      starts.push(now);
      now += 300;
    };
    for (let i = 0; i < 6; i++) await budget.spend(request);
    expect(starts).toEqual([0, 300, 1320, 1620, 2640, 2940]);
    // Any 1-second window holds at most 2 request lifetimes' ends and starts of a third.
    for (let i = 2; i < starts.length; i++) expect((starts[i] ?? 0) - ((starts[i - 2] ?? 0) + 300)).toBeGreaterThanOrEqual(1000);
  });

  it('counts a failed request too', async () => {
    let now = 0;
    const budget = new RateBudget(1, 0, () => now, async (ms) => {
      now += ms;
    });
    await expect(budget.spend(async () => Promise.reject(new Error('throttled')))).rejects.toThrow('throttled');
    await budget.spend(async () => undefined);
    expect(now).toBe(1000);
  });
});
