/** Requests received per (action, account, region), with their arrival times. */
export interface RequestCount {
  action: string;
  accountId: string;
  region: string;
  count: number;
}

const MAX_TIMES = 10_000;

/**
 * Counts every request that reaches an action (before faults and authentication), keyed by the
 * account of the signing key (`unknown` when the key is not known). Arrival times, wall-clock
 * ms, let tests check a rate budget, e.g. LookupEvents at 2 per second.
 */
export class RequestCounter {
  private readonly entries = new Map<string, RequestCount & { times: number[] }>();

  count(action: string, accountId: string, region: string, at: number = Date.now()): void {
    const key = `${action}|${accountId}|${region}`;
    let entry = this.entries.get(key);
    if (!entry) this.entries.set(key, (entry = { action, accountId, region, count: 0, times: [] }));
    entry.count++;
    entry.times.push(at);
    if (entry.times.length > MAX_TIMES) entry.times.splice(0, entry.times.length - MAX_TIMES);
  }

  counts(filter: Partial<Omit<RequestCount, 'count'>> = {}): RequestCount[] {
    return [...this.entries.values()]
      .filter(
        (e) =>
          (!filter.action || e.action === filter.action) &&
          (!filter.accountId || e.accountId === filter.accountId) &&
          (!filter.region || e.region === filter.region),
      )
      .map(({ action, accountId, region, count }) => ({ action, accountId, region, count }));
  }

  /** Arrival times (ms) of the last 10,000 requests of one key. */
  times(action: string, accountId: string, region: string): number[] {
    return [...(this.entries.get(`${action}|${accountId}|${region}`)?.times ?? [])];
  }

  reset(): void {
    this.entries.clear();
  }
}
