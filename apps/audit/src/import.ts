// `node dist/apps/audit/src/import.js <file-or-folder>... [--batch 2000]`: imports CloudTrail log files
// (.json/.json.gz, S3 delivery or bare arrays) into the audit store named by DATABASE_URL (default
// .data/audit.sqlite), printing events/s and files done. Runs outside the service: correlation uses
// the runs and issuances already in the store; findings are stored and published by the service's
// next sweep (nothing here talks to NATS).
import { FindingStore, ImportFiles, IngestEvents, openAuditStore, parseIpRanges, type ImportProgress } from '@runtrail/audit';

async function main(argv: string[]): Promise<number> {
  const batchAt = argv.indexOf('--batch');
  const batchSize = batchAt >= 0 ? Number(argv[batchAt + 1]) : 2000;
  const paths = argv.filter((a, i) => !a.startsWith('--') && (batchAt < 0 || i !== batchAt + 1));
  if (!paths.length || !Number.isInteger(batchSize) || batchSize < 1) {
    process.stderr.write('usage: import.js <file-or-folder>... [--batch 2000]   (DATABASE_URL selects the store)\n');
    return 2;
  }
  const store = await openAuditStore(process.env['DATABASE_URL'] || undefined);
  try {
    const findings = new FindingStore(store.db, null);
    const ranges = parseIpRanges((process.env['AUDIT_WORKER_IP_RANGES'] ?? '').split(',').filter(Boolean));
    const importer = new ImportFiles(store.db, new IngestEvents(store.db, findings, { workerIpRanges: ranges }));
    let last = 0;
    const show = (p: ImportProgress, force = false) => {
      if (!force && Date.now() - last < 1000) return;
      last = Date.now();
      process.stdout.write(`${p.filesDone}/${p.filesTotal} files, ${p.events} events (${p.eventsPerSecond}/s), ${p.inserted} new, ${p.duplicates} duplicate, ${p.bad} bad, ${p.findings} findings\n`);
    };
    let bad = 0;
    for (const path of paths) {
      const done = await importer.importPath(path, { batchSize, onProgress: (p) => show(p) });
      show(done, true);
      bad += done.bad;
    }
    if (bad) process.stdout.write(`${bad} bad record(s) kept aside with their reason in the bad_record table\n`);
    return 0;
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`import failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
