import { parseCloudTrailRecord, readCloudTrailRecords, type CloudTrailSource, type NormalizedEvent } from '@runtrail/cloudtrail';
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { keepBadRecords, type BadRecord } from './bad-record';
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
  onProgress?: (progress: ImportProgress) => void;
}

const LOG_FILE = /\.json(\.gz)?$/i;

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
    let events: NormalizedEvent[] = [];
    let bad: BadRecord[] = [];
    const flush = async () => {
      if (events.length) {
        const result = await this.ingest.ingest(events, name);
        this.progress.inserted += result.inserted;
        this.progress.duplicates += result.duplicates;
        this.progress.findings += result.findings;
      }
      if (bad.length) await keepBadRecords(this.db, bad);
      events = [];
      bad = [];
      this.report(options);
    };
    try {
      for await (const raw of readCloudTrailRecords(source)) {
        this.progress.events++;
        if (!raw.ok) {
          this.progress.bad++;
          bad.push({ source: name, index: raw.index, reason: raw.reason, excerpt: null });
          continue;
        }
        const parsed = parseCloudTrailRecord(raw.record, { rawSize: raw.rawSize });
        if (parsed.ok) events.push(parsed.event);
        else {
          this.progress.bad++;
          bad.push({ source: name, index: raw.index, reason: parsed.reason, excerpt: JSON.stringify(raw.record) });
        }
        if (events.length >= batchSize) await flush();
      }
    } catch (error) {
      this.progress.bad++;
      bad.push({ source: name, index: -1, reason: `file unreadable: ${error instanceof Error ? error.message : String(error)}`, excerpt: null });
    }
    await flush();
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
