import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { CloudTrailRecord } from '@runtrail/cloudtrail';

const gzipAsync = promisify(gzip);
const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** One delivered log file: its S3 key (`AWSLogs/...json.gz`) and gzip bytes. */
export interface LogFile {
  accountId: string;
  region: string;
  key: string;
  body: Buffer;
  deliveredAt: Date;
}

/** Where delivered log files go: a folder, the emulator's trail buckets. */
export interface LogFileSink {
  /** Whether this sink takes the account's files for the region (nothing is built otherwise). */
  accepts(accountId: string, region: string): boolean;
  /** Stores the file; resolves with a path to report from `flushLogs()`, or null. */
  deliver(file: LogFile): Promise<string | null>;
}

/**
 * Writes recorded events as CloudTrail's S3 delivery does:
 * `AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 chars>.json.gz`
 * holding `{"Records":[...]}`, one file per (account, region) per flush. The 16 characters are
 * opaque in AWS; here they start with a time-ordered part, so keys sort in delivery order.
 */
export class LogFileWriter {
  private pending = new Map<string, { accountId: string; region: string; records: CloudTrailRecord[] }>();
  private flushing: Promise<string[]> = Promise.resolve([]);
  private lastSuffixTime = 0;

  constructor(
    private readonly sinks: readonly LogFileSink[],
    private readonly clock: () => Date,
  ) {}

  add(accountId: string, region: string, record: CloudTrailRecord): void {
    if (!this.sinks.some((s) => s.accepts(accountId, region))) return;
    const key = `${accountId}|${region}`;
    let batch = this.pending.get(key);
    if (!batch) this.pending.set(key, (batch = { accountId, region, records: [] }));
    batch.records.push(record);
  }

  /** Delivers everything pending; resolves with the paths sinks reported. Flushes never overlap. */
  flush(): Promise<string[]> {
    this.flushing = this.flushing.catch(() => []).then(() => this.deliverAll());
    return this.flushing;
  }

  private async deliverAll(): Promise<string[]> {
    const batches = [...this.pending.values()];
    this.pending = new Map();
    const now = this.clock();
    const written: string[] = [];
    for (const b of batches) {
      const file: LogFile = {
        accountId: b.accountId,
        region: b.region,
        key: logFileKey(b.accountId, b.region, now, this.suffix()),
        body: await gzipAsync(JSON.stringify({ Records: b.records })),
        deliveredAt: now,
      };
      for (const sink of this.sinks) {
        if (!sink.accepts(b.accountId, b.region)) continue;
        const path = await sink.deliver(file);
        if (path) written.push(path);
      }
    }
    return written;
  }

  // 8 base62 characters of a strictly increasing wall-clock millisecond, then 8 random ones.
  private suffix(): string {
    this.lastSuffixTime = Math.max(Date.now(), this.lastSuffixTime + 1);
    let ordered = '';
    for (let t = this.lastSuffixTime; ordered.length < 8; t = Math.floor(t / 62))
      ordered = ALNUM[t % 62] + ordered;
    let random = '';
    for (const b of randomBytes(8)) random += ALNUM[b % 62];
    return ordered + random;
  }
}

function logFileKey(accountId: string, region: string, at: Date, suffix: string): string {
  const iso = at.toISOString();
  const [y, m, d] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)];
  const stamp = `${y}${m}${d}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
  return `AWSLogs/${accountId}/CloudTrail/${region}/${y}/${m}/${d}/${accountId}_CloudTrail_${region}_${stamp}_${suffix}.json.gz`;
}

/** Writes log files under a folder, at their S3 key. */
export function folderSink(dir: string): LogFileSink {
  return {
    accepts: () => true,
    async deliver(file) {
      const path = join(dir, ...file.key.split('/'));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file.body);
      return path;
    },
  };
}
