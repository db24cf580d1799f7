/**
 * A job that runs every `intervalMs` (never when it is 0), one pass at a time: `runOnce` during a
 * pass joins it instead of starting another, and `stop` waits for the pass in progress.
 */
export class PeriodicPass {
  private timer?: NodeJS.Timeout;
  private running: Promise<number> | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly pass: () => Promise<number>,
  ) {}

  start(): void {
    if (this.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.runOnce().catch(() => undefined), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass (or the one in progress); resolves with what it counted. */
  runOnce(): Promise<number> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }
}
