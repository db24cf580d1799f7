import { Logger } from '@nestjs/common';
import type { Attributes } from '@opentelemetry/api';
import { observeGauge } from '@runtrail/telemetry';
import type { PollerLease } from './poller-lease';

const TAKEOVER_MARGIN_MS = 50;

/** How often a reader works and how long its lease lives. */
export interface LeasedReaderTiming {
  intervalMs: number;
  /** At least 3 s: the lease is renewed every third of it, and a takeover waits one second. */
  leaseTtlMs: number;
}

/**
 * The loop every trail reader of a (source, region) runs on each replica: take or keep the lease,
 * and only while holding it run one cycle (a LookupEvents window, an S3 listing), then wait the
 * interval; a standby checks the lease more often than its TTL, so a takeover is quick. A new
 * holder waits one second before its first cycle: a former holder's last request may have reached
 * AWS less than a second ago, and LookupEvents' 2-per-second budget must hold across a takeover.
 * A failed cycle is logged and reported, and the next interval tries again.
 */
export abstract class LeasedReader {
  protected readonly log: Logger;
  protected stopped = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private renewedAt = 0;
  private readUpToMs: number | null = null;
  private unobserveLag: (() => void) | null = null;

  protected constructor(
    protected readonly lease: PollerLease,
    private readonly timing: LeasedReaderTiming,
    logContext: string,
  ) {
    this.log = new Logger(logContext);
  }

  /** One cycle while holding the lease; it calls {@link keepLease} between requests. */
  protected abstract cycle(): Promise<void>;

  /** The cycle failed with `message` (health, counters); it never throws. */
  protected abstract cycleFailed(message: string): Promise<void>;

  start(): void {
    this.loop ??= this.run();
  }

  /**
   * Everything up to `endMs` is read: `runtrail.audit.trail_source.lag` is now minus it, reported
   * while this replica holds the lease (a standby reports nothing).
   */
  protected markReadUpTo(endMs: number, attributes: Attributes): void {
    this.readUpToMs = endMs;
    this.unobserveLag ??= observeGauge('trailSourceLag', attributes, () =>
      this.lease.held && !this.stopped && this.readUpToMs !== null ? (Date.now() - this.readUpToMs) / 1000 : undefined,
    );
  }

  /** Graceful stop: finishes the current request, gives the lease back. */
  async stop(): Promise<void> {
    this.unobserveLag?.();
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.lease.release();
  }

  /** Stops without releasing the lease, as a crashed process would (tests of takeover). */
  async abandon(): Promise<void> {
    this.unobserveLag?.();
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  get leader(): boolean {
    return this.lease.held;
  }

  /** Renews the lease when a third of its TTL passed since; false when it was lost to another holder. */
  protected async keepLease(force = false): Promise<boolean> {
    if (!force && Date.now() - this.renewedAt <= this.timing.leaseTtlMs / 3) return true;
    if (!(await this.lease.renew())) return false;
    this.renewedAt = Date.now();
    return true;
  }

  private async run(): Promise<void> {
    let leading = false;
    while (!this.stopped) {
      try {
        const held = await this.lease.acquire();
        if (held && !leading) {
          leading = true;
          await this.pause(1000 + TAKEOVER_MARGIN_MS);
        }
        leading = held;
        this.renewedAt = Date.now();
        if (held && !this.stopped) await this.cycle();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.log.warn(`read failed, retrying after the interval: ${message}`);
        await this.cycleFailed(message).catch(() => undefined);
      }
      await this.pause(this.lease.held ? this.timing.intervalMs : Math.max(200, this.timing.leaseTtlMs / 3));
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake?.(), ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }
}
