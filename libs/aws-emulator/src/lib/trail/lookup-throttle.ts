/**
 * CloudTrail's LookupEvents quota: 2 requests per second per account and region. A sliding
 * one-second window on the wall clock (throttling is about real time, whatever the emulator's
 * clock says).
 */
export class LookupThrottle {
  private readonly recent = new Map<string, number[]>();

  constructor(
    private readonly perSecond = 2,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Records the request and returns false when it exceeds the quota. */
  admit(accountId: string, region: string): boolean {
    const key = `${accountId}|${region}`;
    const t = this.now();
    const window = (this.recent.get(key) ?? []).filter((at) => t - at < 1000);
    if (window.length >= this.perSecond) {
      this.recent.set(key, window);
      return false;
    }
    window.push(t);
    this.recent.set(key, window);
    return true;
  }
}
