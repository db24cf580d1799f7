/**
 * At most `perSecond` request starts in any 1-second window (CloudTrail's LookupEvents limit is 2
 * per account and region). A margin absorbs network jitter, so the budget also holds as counted
 * at the receiving end.
 */
export class RateBudget {
  private readonly starts: number[] = [];

  constructor(
    private readonly perSecond: number,
    private readonly marginMs = 50,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** Resolves when one more request may start, and counts it. */
  async take(): Promise<void> {
    if (this.starts.length >= this.perSecond) {
      const oldest = this.starts[this.starts.length - this.perSecond] ?? 0;
      const wait = oldest + 1000 + this.marginMs - this.now();
      if (wait > 0) await this.sleep(wait);
    }
    this.starts.push(this.now());
    if (this.starts.length > this.perSecond) this.starts.shift();
  }
}
