import {
  parseCloudTrailRecord,
  readCloudTrailRecords,
  type CloudTrailSource,
  type NormalizedEvent,
  type RawCloudTrailRecord,
} from '@runtrail/cloudtrail';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { keepBadRecords, redactExcerpt, type BadRecord } from './bad-record';
import type { IngestEvents } from './ingest-events.usecase';
import type { AuditDb } from '../storage/audit-db';

/** Progress of an import, reported after every batch and every file. */
export interface ImportProgress {
  filesDone: number;
  filesTotal: number;
  events: number;
  inserted: number;
  duplicates: number;
  bad: number;
  findings: number;
  elapsedMs: number;
  /** Events read per second since the import started. */
  eventsPerSecond: number;
}

export interface ImportOptions {
  /** Events per correlated batch; bigger batches mean fewer queries, more memory. Default 2,000. */
  batchSize?: number;
  /** A batch is also written once its records' JSON adds up to this many bytes. Default 8 MiB. */
  batchBytes?: number;
  onProgress?: (progress: ImportProgress) => void;
}

const LOG_FILE = /\.json(\.gz)?$/i;
const DEFAULT_BATCH_BYTES = 8 * 1024 * 1024;
const BAD_RECORDS_PER_WRITE = 100;

/**
 * Imports S3-delivery CloudTrail log files (`.json`/`.json.gz`, `{"Records":[...]}` or a bare
 * array) from a file, a folder (recursively, in name order) or a stream. Files are streamed record
 * by record and written in batches, so memory does not grow with the input. A record that cannot
 * be read is kept aside with its reason and never stops the file; a file that breaks off (truncated
 * archive) is recorded as one bad record after its good records were kept.
 */
export class ImportFiles {
  private progress: ImportProgress = blankProgress(0);
  private started = 0;

  constructor(
    private readonly db: AuditDb,
    private readonly ingest: IngestEvents,
  ) {}

  async importPath(path: string, options: ImportOptions = {}): Promise<ImportProgress> {
    const files = (await stat(path)).isDirectory() ? await logFilesUnder(path) : [path];
    this.begin(files.length);
    for (const file of files) {
      await this.importOne(file, path === file ? file : relative(path, file), options);
      this.progress.filesDone++;
      this.report(options);
    }
    return this.snapshot();
  }

  async importStream(source: CloudTrailSource, name: string, options: ImportOptions = {}): Promise<ImportProgress> {
    this.begin(1);
    await this.importOne(source, name, options);
    this.progress.filesDone++;
    this.report(options);
    return this.snapshot();
  }

  private begin(filesTotal: number): void {
    this.started = Date.now();
    this.progress = blankProgress(filesTotal);
  }

  private async importOne(source: CloudTrailSource, name: string, options: ImportOptions): Promise<void> {
    const batchSize = options.batchSize ?? 2000;
    const batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
    let events: NormalizedEvent[] = [];
    // Each event's index in its file, for the bad record of an event the store refuses.
    let positions: number[] = [];
    let eventBytes = 0;
    let bad: BadRecord[] = [];
    const flush = async () => {
      const batch = events;
      const at = positions;
      const refused = bad;
      events = [];
      positions = [];
      eventBytes = 0;
      bad = [];
      if (batch.length) refused.push(...(await this.store(batch, at, name)));
      if (refused.length) await keepBadRecords(this.db, refused);
      this.report(options);
    };
    const refuse = async (record: BadRecord) => {
      this.progress.bad++;
      bad.push(record);
      // Bad records are streamed to storage, never held: a file of 300 bad 3 MB records holds one.
      if (bad.length >= BAD_RECORDS_PER_WRITE) await flush();
    };
    // Only reading may fail here as the input's fault; a failing store propagates (not a bad record).
    const records = readCloudTrailRecords(source)[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<RawCloudTrailRecord>;
      try {
        next = await records.next();
      } catch (error) {
        await refuse({ source: name, index: -1, reason: `file unreadable: ${error instanceof Error ? error.message : String(error)}`, excerpt: null });
        break;
      }
      if (next.done) break;
      const raw = next.value;
      if (raw.index >= 0) this.progress.events++;
      if (!raw.ok) {
        await refuse({ source: name, index: raw.index, reason: raw.reason, excerpt: null });
        continue;
      }
      const parsed = parseCloudTrailRecord(raw.record, { rawSize: raw.rawSize, depthChecked: true });
      if (parsed.ok) {
        events.push(parsed.event);
        positions.push(raw.index);
        eventBytes += raw.rawSize;
      } else {
        await refuse({ source: name, index: raw.index, reason: parsed.reason, excerpt: redactExcerpt(raw.text) });
      }
      if (events.length >= batchSize || eventBytes >= batchBytes) await flush();
    }
    // The records read before a file broke off are kept whatever broke it.
    await flush();
  }

  /**
   * Ingests a batch; when the batch as a whole cannot be stored, each event is stored alone so one
   * event the store refuses costs only itself (returned as a bad record). A store that refuses every
   * event alone (database down) fails the import: that is not the input's fault.
   */
  private async store(batch: NormalizedEvent[], positions: number[], name: string): Promise<BadRecord[]> {
    try {
      this.count(await this.ingest.ingest(batch, name));
      return [];
    } catch (batchError) {
      if (batch.length === 1) throw batchError;
      const refused: BadRecord[] = [];
      for (const [i, event] of batch.entries()) {
        try {
          this.count(await this.ingest.ingest([event], name));
        } catch (error) {
          refused.push({ source: name, index: positions[i], reason: `event ${event.eventId} could not be stored: ${error instanceof Error ? error.message : String(error)}`, excerpt: null });
        }
      }
      if (refused.length === batch.length) throw batchError;
      this.progress.bad += refused.length;
      return refused;
    }
  }

  private count(result: { inserted: number; duplicates: number; findings: number }): void {
    this.progress.inserted += result.inserted;
    this.progress.duplicates += result.duplicates;
    this.progress.findings += result.findings;
  }

  private report(options: ImportOptions): void {
    options.onProgress?.(this.snapshot());
  }

  private snapshot(): ImportProgress {
    const elapsedMs = Date.now() - this.started;
    return { ...this.progress, elapsedMs, eventsPerSecond: elapsedMs > 0 ? Math.round((this.progress.events * 1000) / elapsedMs) : 0 };
  }
}

function blankProgress(filesTotal: number): ImportProgress {
  return { filesDone: 0, filesTotal, events: 0, inserted: 0, duplicates: 0, bad: 0, findings: 0, elapsedMs: 0, eventsPerSecond: 0 };
}

async function logFilesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && LOG_FILE.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}
