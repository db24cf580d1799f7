import { Logger } from '@nestjs/common';
import { parseCloudTrailRecord, type NormalizedEvent } from '@runtrail/cloudtrail';
import { keepBadRecords, type BadRecord } from '../ingest/bad-record';
import type { IngestEvents } from '../ingest/ingest-events.usecase';
import type { AuditDb } from '../storage/audit-db';
import type { LookupEventsSource, LookupPage } from './lookup-events.client';
import { loadCheckpoint, saveCheckpoint } from './poll-checkpoint';
import type { PollerLease } from './poller-lease';
import { RateBudget } from './rate-budget';

const TAKEOVER_MARGIN_MS = 50;

export interface AccountPollerSettings {
  accountId: string;
  region: string;
  intervalMs: number;
  overlapMs: number;
  maxRps: number;
  /** At least 3 s: the lease is renewed every third of it, and a takeover waits one second. */
  leaseTtlMs: number;
  /** Where the very first poll of a target starts, before now (default: the overlap). */
  initialLookbackMs?: number;
  /** In logs and bad-record sources (default `<accountId>:<region>`). */
  label?: string;
  /** The runtrail account every event read belongs to (a trail source's); undefined: any. */
  owner?: string;
}

/**
 * Where a target's checkpoint lives and how its outcome is recorded. The default keeps the
 * `poll_checkpoint` row of (AWS account, region); a trail source keeps it on its region's row with
 * its health (last success, last error, events ingested).
 */
export interface PollProgress {
  load(): Promise<number | null>;
  /** The window up to `endMs` was read completely; `inserted` events were new. */
  complete(endMs: number, inserted: number): Promise<void>;
  /** The window failed; `inserted` events were stored before it did. */
  failed(message: string, inserted: number): Promise<void>;
}

function checkpointProgress(db: AuditDb, accountId: string, region: string): PollProgress {
  return {
    load: () => loadCheckpoint(db, accountId, region),
    complete: (endMs) => saveCheckpoint(db, accountId, region, endMs),
    failed: async () => undefined,
  };
}

/** One window read: for tests and logs. */
export interface PollWindow {
  start: Date;
  end: Date;
  requests: number;
  events: number;
  inserted: number;
}

/**
 * Polls CloudTrail LookupEvents for one (AWS account, region) while holding its lease. Each cycle
 * reads the window [checkpoint - overlap, now] page by page (newest first, as LookupEvents
 * answers), ingests every page (duplicates from the overlap are dropped on eventID) and only then
 * moves the checkpoint to the window's end: a poller that dies mid-window leaves the checkpoint
 * where it was, and whoever takes over reads the window again, without gaps. Every request waits
 * for the rate budget; the lease is renewed between pages, and a new holder waits one budget
 * window before its first request, so the 2-per-second budget also holds across a takeover.
 */
export class AccountPoller {
  private readonly log: Logger;
  private readonly budget: RateBudget;
  private stopped = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private current: PollWindow | null = null;
  private readonly progress: PollProgress;
  private readonly label: string;
  readonly windows: PollWindow[] = [];

  constructor(
    private readonly settings: AccountPollerSettings,
    private readonly lease: PollerLease,
    private readonly source: LookupEventsSource,
    private readonly db: AuditDb,
    private readonly ingest: IngestEvents,
    progress?: PollProgress,
  ) {
    this.label = settings.label ?? `${settings.accountId}:${settings.region}`;
    this.log = new Logger(`Poller:${this.label}`);
    this.progress = progress ?? checkpointProgress(db, settings.accountId, settings.region);
    this.budget = new RateBudget(settings.maxRps);
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Graceful stop: finishes the current request, gives the lease back. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.lease.release();
  }

  /** Stops without releasing the lease, as a crashed process would (tests of takeover). */
  async abandon(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  get leader(): boolean {
    return this.lease.held;
  }

  private async run(): Promise<void> {
    let leading = false;
    while (!this.stopped) {
      try {
        const held = await this.lease.acquire();
        if (held && !leading) {
          // A former holder's last request may have reached CloudTrail less than a second ago:
          // wait one budget window so the two replicas' requests never share one.
          leading = true;
          await this.pause(1000 + TAKEOVER_MARGIN_MS);
        }
        leading = held;
        if (held && !this.stopped) await this.pollWindow();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.log.warn(`poll failed, retrying after the interval: ${message}`);
        await this.progress.failed(message, this.current?.inserted ?? 0).catch(() => undefined);
      }
      this.current = null;
      // A standby checks the lease more often than the TTL, so a takeover is quick.
      await this.pause(this.lease.held ? this.settings.intervalMs : Math.max(200, this.settings.leaseTtlMs / 3));
    }
  }

  private async pollWindow(): Promise<void> {
    const { region } = this.settings;
    const end = new Date();
    const checkpoint = await this.progress.load();
    const start = new Date((checkpoint ?? end.getTime() - (this.settings.initialLookbackMs ?? 0)) - this.settings.overlapMs);
    const window: PollWindow = { start, end, requests: 0, events: 0, inserted: 0 };
    this.current = window;
    let nextToken: string | null = null;
    let renewedAt = Date.now();
    do {
      if (this.stopped) return;
      if (Date.now() - renewedAt > this.settings.leaseTtlMs / 3) {
        if (!(await this.lease.renew())) return this.log.warn('lease lost mid-window; the new holder reads the window again');
        renewedAt = Date.now();
      }
      const token: string | null = nextToken;
      const page: LookupPage = await this.budget.spend(() => this.source.lookup({ region, start, end, nextToken: token }));
      window.requests++;
      nextToken = page.nextToken;
      const { events, bad } = normalise(page.records, `lookup:${this.label}`);
      bad.push(...page.unreadable.map((u, i) => ({ source: `lookup:${this.label}:${u.eventId ?? i}`, index: i, reason: u.reason, excerpt: null })));
      if (bad.length) await keepBadRecords(this.db, bad);
      const result = await this.ingest.ingest(events, `lookup:${this.label}`, this.settings.owner);
      window.events += events.length;
      window.inserted += result.inserted;
    } while (nextToken);
    if (!(await this.lease.renew())) return;
    await this.progress.complete(end.getTime(), window.inserted);
    this.windows.push(window);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wakeUp(), ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  private wakeUp(): void {
    this.wake?.();
  }
}

function normalise(records: unknown[], source: string): { events: NormalizedEvent[]; bad: BadRecord[] } {
  const events: NormalizedEvent[] = [];
  const bad: BadRecord[] = [];
  records.forEach((record, index) => {
    const parsed = parseCloudTrailRecord(record);
    if (parsed.ok) events.push(parsed.event);
    else bad.push({ source: `${source}:${Date.now()}`, index, reason: parsed.reason, excerpt: JSON.stringify(record) });
  });
  return { events, bad };
}
