import { parseCloudTrailRecord, type NormalizedEvent } from '@runtrail/cloudtrail';
import { excerptOf, keepBadRecords, type BadRecord } from '../ingest/bad-record';
import type { IngestEvents } from '../ingest/ingest-events.usecase';
import type { AuditDb } from '../storage/audit-db';
import type { LookupEventsSource, LookupPage } from './lookup-events.client';
import { LeasedReader } from './leased-reader';
import { loadCheckpoint, saveCheckpoint } from './poll-checkpoint';
import type { PollerLease } from './poller-lease';
import { RateBudget } from './rate-budget';

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
 * window before its first request (see {@link LeasedReader}), so the 2-per-second budget also
 * holds across a takeover.
 */
export class AccountPoller extends LeasedReader {
  private readonly budget: RateBudget;
  private current: PollWindow | null = null;
  private readonly progress: PollProgress;
  private readonly label: string;
  readonly windows: PollWindow[] = [];

  constructor(
    private readonly settings: AccountPollerSettings,
    lease: PollerLease,
    private readonly source: LookupEventsSource,
    private readonly db: AuditDb,
    private readonly ingest: IngestEvents,
    progress?: PollProgress,
  ) {
    const label = settings.label ?? `${settings.accountId}:${settings.region}`;
    super(lease, settings, `Poller:${label}`);
    this.label = label;
    this.progress = progress ?? checkpointProgress(db, settings.accountId, settings.region);
    this.budget = new RateBudget(settings.maxRps);
  }

  protected async cycleFailed(message: string): Promise<void> {
    const inserted = this.current?.inserted ?? 0;
    this.current = null;
    await this.progress.failed(message, inserted);
  }

  protected async cycle(): Promise<void> {
    const { region } = this.settings;
    this.current = null;
    const end = new Date();
    const checkpoint = await this.progress.load();
    const start = new Date((checkpoint ?? end.getTime() - (this.settings.initialLookbackMs ?? 0)) - this.settings.overlapMs);
    const window: PollWindow = { start, end, requests: 0, events: 0, inserted: 0 };
    this.current = window;
    let nextToken: string | null = null;
    do {
      if (this.stopped) return;
      if (!(await this.keepLease())) return this.log.warn('lease lost mid-window; the new holder reads the window again');
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
    if (!(await this.keepLease(true))) return;
    await this.progress.complete(end.getTime(), window.inserted);
    this.markReadUpTo(end.getTime(), { 'cloud.account.id': this.settings.accountId, 'cloud.region': region, 'runtrail.source': 'lookup-events' });
    this.current = null;
    this.windows.push(window);
  }
}

function normalise(records: unknown[], source: string): { events: NormalizedEvent[]; bad: BadRecord[] } {
  const events: NormalizedEvent[] = [];
  const bad: BadRecord[] = [];
  records.forEach((record, index) => {
    const parsed = parseCloudTrailRecord(record);
    if (parsed.ok) events.push(parsed.event);
    else bad.push({ source: `${source}:${Date.now()}`, index, reason: parsed.reason, excerpt: excerptOf(record) });
  });
  return { events, bad };
}
