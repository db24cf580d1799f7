import { keepBadRecords } from '../ingest/bad-record';
import { ImportFiles } from '../ingest/import-files.usecase';
import type { IngestEvents } from '../ingest/ingest-events.usecase';
import type { AuditDb } from '../storage/audit-db';
import { LeasedReader, type LeasedReaderTiming } from './leased-reader';
import type { PollerLease } from './poller-lease';
import type { TrailBucketSource, TrailObject } from './trail-bucket.client';
import { LOG_FILE_KEY, logKeyFloor, logKeyMinute, trailRegionFolder } from './trail-log-keys';

export interface S3TrailReaderSettings extends LeasedReaderTiming {
  /** The AWS account whose `AWSLogs/<acct>/` folder is read. */
  accountId: string;
  region: string;
  /** How far before the checkpoint's minute each listing starts again (files delivered late). */
  overlapMs: number;
  /** Where the very first listing starts, before now less the overlap (default 0). */
  initialLookbackMs?: number;
  /** The runtrail account every event read belongs to (the trail source's). */
  owner: string;
  /** In logs (default `<accountId>:<region>`). */
  label?: string;
}

/** The bucket and prefix CloudTrail delivers to, read at every cycle (a PATCH may change them). */
export interface TrailBucketLocation {
  bucket: string;
  prefix: string | null;
}

/** Where a reader's checkpoint lives and how its outcome is recorded (a trail source's region row). */
export interface S3ReadProgress {
  /** The last key read, and the newest time read so far (file delivery or a LookupEvents window). */
  load(): Promise<{ key: string | null; ms: number | null }>;
  /** A file was read; the key checkpoint moves from `previousKey` to `key` unless someone else moved it. */
  fileRead(file: { previousKey: string | null; key: string; deliveredMs: number; inserted: number }): Promise<void>;
  /** The listing was read to its end. */
  complete(): Promise<void>;
  failed(message: string): Promise<void>;
}

/** One listing: for tests and logs. */
export interface S3Cycle {
  startAfter: string;
  /** When the listing started and when the last file was stored (epoch ms). */
  startedAt: number;
  endedAt: number;
  listed: number;
  /** Files read (GetObject), including files of the overlap not read before by this process. */
  files: number;
  events: number;
  inserted: number;
  bad: number;
}

/** How many keys the reader remembers at most (a busy account delivers a few hundred files per overlap). */
const MAX_REMEMBERED_KEYS = 20_000;

/**
 * Reads the CloudTrail log files S3 delivery writes for one (AWS account, region) while holding its
 * lease, and ingests them through the file import (`ImportFiles`, the source's account as owner).
 * Each cycle lists the region folder in key order from the checkpoint's minute less the overlap
 * (so a new day's folder is listed as soon as it appears, and a file delivered late in a minute
 * already read, which in AWS may sort before the checkpoint because the end of its name is random,
 * is still found), skips the keys this process already read, and reads the others, moving the
 * checkpoint after each file. A file that does not parse goes to `bad_record` and the reader goes
 * on; a failed request (listing, GetObject, a body that broke off) stops the cycle, and the next
 * interval resumes from the checkpoint. After a restart the overlap's files are read again; their
 * events are dropped on eventID.
 */
export class S3TrailReader extends LeasedReader {
  private readonly importer: ImportFiles;
  /** Keys read by this process, with their delivery minute (forgotten once before every listing's start). */
  private readonly read = new Map<string, number>();
  private readIn: { bucket: string; folder: string } | null = null;
  readonly cycles: S3Cycle[] = [];

  constructor(
    private readonly settings: S3TrailReaderSettings,
    lease: PollerLease,
    private readonly bucket: TrailBucketSource,
    private readonly location: () => TrailBucketLocation,
    private readonly db: AuditDb,
    ingest: IngestEvents,
    private readonly progress: S3ReadProgress,
  ) {
    super(lease, settings, `S3Reader:${settings.label ?? `${settings.accountId}:${settings.region}`}`);
    this.importer = new ImportFiles(db, ingest.ownedBy(settings.owner));
  }

  protected cycleFailed(message: string): Promise<void> {
    return this.progress.failed(message);
  }

  protected async cycle(): Promise<void> {
    const { accountId, region } = this.settings;
    const { bucket, prefix } = this.location();
    // The source lost its bucket: this reader is about to be replaced by a LookupEvents poller.
    if (!bucket) return;
    const folder = trailRegionFolder(prefix, accountId, region);
    // Another bucket or prefix (a PATCH): keys read there say nothing about this one.
    if (folder !== this.readIn?.folder || bucket !== this.readIn.bucket) this.read.clear();
    this.readIn = { bucket, folder };
    const checkpoint = await this.progress.load();
    let previousKey = checkpoint.key;
    const fromMs = Math.max(previousKey ? (logKeyMinute(previousKey) ?? 0) : 0, checkpoint.ms ?? 0)
      || Date.now() - (this.settings.initialLookbackMs ?? 0);
    const sinceMs = fromMs - this.settings.overlapMs;
    this.forgetBefore(sinceMs);
    const cycle: S3Cycle = {
      startAfter: logKeyFloor(folder, accountId, region, sinceMs), startedAt: Date.now(), endedAt: 0, listed: 0, files: 0, events: 0, inserted: 0, bad: 0,
    };
    let token: string | null = null;
    do {
      if (this.stopped || !(await this.keepLease())) return;
      const page = await this.bucket.list({ region, bucket, prefix: folder, startAfter: cycle.startAfter, continuationToken: token });
      token = page.nextToken;
      for (const object of page.objects) {
        cycle.listed++;
        if (!LOG_FILE_KEY.test(object.key) || this.read.has(object.key)) continue;
        if (this.stopped || !(await this.keepLease())) return;
        const inserted = await this.readFile(bucket, object, cycle);
        const key = previousKey === null || object.key > previousKey ? object.key : previousKey;
        const deliveredMs = object.lastModified?.getTime() ?? logKeyMinute(object.key) ?? Date.now();
        await this.progress.fileRead({ previousKey, key, deliveredMs, inserted });
        previousKey = key;
        this.remember(object.key);
      }
    } while (token);
    if (!(await this.keepLease(true))) return;
    await this.progress.complete();
    // Every file delivered before this listing started is read.
    this.markReadUpTo(cycle.startedAt, { 'cloud.account.id': accountId, 'cloud.region': region, 'runtrail.source': 's3' });
    cycle.endedAt = Date.now();
    this.cycles.push(cycle);
    if (cycle.files)
      this.log.log(`read ${cycle.files} log files of s3://${bucket}/${folder} in ${cycle.endedAt - cycle.startedAt} ms ` +
        `(${cycle.events} events, ${cycle.inserted} new, ${cycle.bad} bad); checkpoint ${previousKey}`);
  }

  /** Reads one log file through the file import; resolves with how many events it stored. */
  private async readFile(bucket: string, object: TrailObject, cycle: S3Cycle): Promise<number> {
    const name = `s3://${bucket}/${object.key}`;
    const body = await this.bucket.open({ region: this.settings.region, bucket, key: object.key });
    cycle.files++;
    if (body === null) {
      // Listed, then gone (a lifecycle rule, someone deleting it): nothing left to read.
      await keepBadRecords(this.db, [{ source: name, index: -1, reason: 'the object was deleted after it was listed (NoSuchKey)', excerpt: null }]);
      cycle.bad++;
      return 0;
    }
    const transport: { error: unknown } = { error: null };
    const result = await this.importer.importStream(watched(body, transport), name);
    // The connection broke, not the file: read it again next cycle (what it stored is deduplicated).
    if (transport.error) throw new Error(`reading ${name} broke off: ${transport.error instanceof Error ? transport.error.message : String(transport.error)}`);
    cycle.events += result.events;
    cycle.inserted += result.inserted;
    cycle.bad += result.bad;
    return result.inserted;
  }

  private remember(key: string): void {
    this.read.set(key, logKeyMinute(key) ?? Date.now());
    if (this.read.size > MAX_REMEMBERED_KEYS) {
      const oldest = this.read.keys().next();
      if (!oldest.done) this.read.delete(oldest.value);
    }
  }

  private forgetBefore(sinceMs: number): void {
    for (const [key, minute] of this.read) if (minute < sinceMs - 60_000) this.read.delete(key);
  }
}

/** Passes a body through, noting whether the transport (not the gzip or JSON in it) failed. */
async function* watched(body: AsyncIterable<Uint8Array>, transport: { error: unknown }): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of body) yield chunk;
  } catch (error) {
    transport.error = error;
    throw error;
  }
}
