/**
 * At most `perSecond` requests in any 1-second window as counted by the receiver (CloudTrail's
 * LookupEvents limit is 2 per account and region). The window is measured from when earlier
 * requests *finished*, not when they were started: a request may leave the process late (SDK
 * set-up, credential resolution), and arrival always lies between start and finish, so spacing
 * from the finish is the only spacing that holds at the far end.
 */
export class RateBudget {
  private readonly finished: number[] = [];

  constructor(
    private readonly perSecond: number,
    private readonly marginMs = 20,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** Runs `request` once the budget allows it, and counts it from when it settles. */
  async spend<T>(request: () => Promise<T>): Promise<T> {
    if (this.finished.length >= this.perSecond) {
      const oldest = this.finished[this.finished.length - this.perSecond] ?? 0;
      const wait = oldest + 1000 + this.marginMs - this.now();
      if (wait > 0) await this.sleep(wait);
    }
    try {
      return await request();
    } finally {
      this.finished.push(this.now());
      if (this.finished.length > this.perSecond) this.finished.shift();
    }
  }
}
