import { createHash } from 'node:crypto';
import type { Account } from '../state/iam.types';
import type { LogFile, LogFileSink } from '../trail/log-file-writer';

/** An object in a trail bucket. */
export interface StoredObject {
  key: string;
  body: Buffer;
  etag: string;
  lastModified: Date;
}

/** A trail bucket: the account that owns it and its objects in key order (as S3 lists them). */
export interface TrailBucket {
  name: string;
  accountId: string;
  regions: ReadonlySet<string> | null;
  objects: StoredObject[];
}

/**
 * The accounts' trail buckets, in memory: CloudTrail log files land here when flushed and S3
 * `ListObjectsV2` / `GetObject` read them. Buckets come from the seed's `trail` entries.
 */
export class TrailBucketStore implements LogFileSink {
  private readonly byName = new Map<string, TrailBucket>();
  private readonly byAccount = new Map<string, TrailBucket>();

  constructor(accounts: Iterable<Account>) {
    for (const a of accounts) {
      if (!a.trail) continue;
      const bucket: TrailBucket = {
        name: a.trail.bucket,
        accountId: a.id,
        regions: a.trail.regions ? new Set(a.trail.regions) : null,
        objects: [],
      };
      this.byName.set(bucket.name, bucket);
      this.byAccount.set(a.id, bucket);
    }
  }

  get size(): number {
    return this.byName.size;
  }

  bucket(name: string): TrailBucket | undefined {
    return this.byName.get(name);
  }

  accepts(accountId: string, region: string): boolean {
    const bucket = this.byAccount.get(accountId);
    return !!bucket && (!bucket.regions || bucket.regions.has(region));
  }

  deliver(file: LogFile): Promise<null> {
    const bucket = this.byAccount.get(file.accountId);
    if (bucket) put(bucket, file.key, file.body, file.deliveredAt);
    return Promise.resolve(null);
  }

  /**
   * Stores any object in a trail bucket (tests and benchmarks: a file delivered late, a corrupt
   * one, a large trail); false when there is no such bucket.
   */
  putObject(bucketName: string, key: string, body: Buffer, at: Date): boolean {
    const bucket = this.byName.get(bucketName);
    if (bucket) put(bucket, key, body, at);
    return !!bucket;
  }
}

/** Inserts or replaces an object, keeping the bucket in key order. */
function put(bucket: TrailBucket, key: string, body: Buffer, lastModified: Date): void {
  const object: StoredObject = { key, body, etag: `"${createHash('md5').update(body).digest('hex')}"`, lastModified };
  const at = firstAfter(bucket.objects, key, true);
  if (bucket.objects[at]?.key === key) bucket.objects[at] = object;
  else bucket.objects.splice(at, 0, object);
}

/** Index of the first object whose key is > `key` (or >= it when `inclusive`). */
export function firstAfter(objects: readonly StoredObject[], key: string, inclusive = false): number {
  let lo = 0;
  let hi = objects.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const k = objects[mid].key;
    if (k < key || (!inclusive && k === key)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
