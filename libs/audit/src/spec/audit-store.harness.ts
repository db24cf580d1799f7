import type { FindingRaised } from '@runtrail/contracts';
import { parseIpRanges } from '../lib/findings/ip-ranges';
import { FindingStore } from '../lib/findings/finding.store';
import { ImportFiles } from '../lib/ingest/import-files.usecase';
import { IngestEvents } from '../lib/ingest/ingest-events.usecase';
import { openAuditStore, type OpenAuditStore } from '../lib/storage/open-audit-store';

/** The audit store and its use cases without Nest or NATS; published findings are collected. */
export class AuditStoreHarness {
  readonly published: FindingRaised[] = [];
  readonly findings: FindingStore;
  readonly ingest: IngestEvents;
  readonly importer: ImportFiles;

  private constructor(readonly store: OpenAuditStore, workerIpRanges: string[]) {
    this.findings = new FindingStore(store.db, { publish: async (f) => void this.published.push(f) });
    this.ingest = new IngestEvents(store.db, this.findings, { workerIpRanges: parseIpRanges(workerIpRanges) });
    this.importer = new ImportFiles(store.db, this.ingest);
  }

  static async open(databaseUrl: string, workerIpRanges: string[] = []): Promise<AuditStoreHarness> {
    return new AuditStoreHarness(await openAuditStore(databaseUrl), workerIpRanges);
  }

  async count(sql: string, params: Array<string | number> = []): Promise<number> {
    const [row] = await this.store.db.all(sql, params);
    return Number(Object.values(row ?? { n: 0 })[0]);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
