import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { CloudTrailRecord } from '@runtrail/cloudtrail';

const gzipAsync = promisify(gzip);
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Writes recorded events as CloudTrail's S3 delivery does:
 * `AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<rand>.json.gz`
 * holding `{"Records":[...]}`, one file per (account, region) per flush.
 */
export class LogFileWriter {
  private pending = new Map<string, { accountId: string; region: string; records: CloudTrailRecord[] }>();
  private flushing: Promise<string[]> = Promise.resolve([]);

  constructor(
    private readonly dir: string,
    private readonly clock: () => Date,
  ) {}

  add(accountId: string, region: string, record: CloudTrailRecord): void {
    const key = `${accountId}|${region}`;
    let batch = this.pending.get(key);
    if (!batch) this.pending.set(key, (batch = { accountId, region, records: [] }));
    batch.records.push(record);
  }

  /** Writes everything pending; resolves with the files written. Flushes never overlap. */
  flush(): Promise<string[]> {
    this.flushing = this.flushing.catch(() => []).then(() => this.writeAll());
    return this.flushing;
  }

  private async writeAll(): Promise<string[]> {
    const batches = [...this.pending.values()];
    this.pending = new Map();
    const now = this.clock();
    const written: string[] = [];
    for (const b of batches) {
      const iso = now.toISOString();
      const folder = join(
        this.dir,
        'AWSLogs',
        b.accountId,
        'CloudTrail',
        b.region,
        iso.slice(0, 4),
        iso.slice(5, 7),
        iso.slice(8, 10),
      );
      const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
      const file = join(folder, `${b.accountId}_CloudTrail_${b.region}_${stamp}_${randomName()}.json.gz`);
      await mkdir(folder, { recursive: true });
      await writeFile(file, await gzipAsync(JSON.stringify({ Records: b.records })));
      written.push(file);
    }
    return written;
  }
}

function randomName(): string {
  const bytes = randomBytes(16);
  let out = '';
  for (const b of bytes) out += ALNUM[b % ALNUM.length];
  return out;
}
