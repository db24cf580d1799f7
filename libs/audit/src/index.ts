export { AuditModule, type AuditModuleOptions } from './lib/audit.module';
export { auditEnv, type AuditEnv } from './lib/audit.env';
export { auditPersistence } from './lib/audit.persistence';
export { openAuditStore, type OpenAuditStore } from './lib/storage/open-audit-store';
export { AuditDb } from './lib/storage/audit-db';
export { maintainPartitions, PartitionMonths } from './lib/storage/partitions';
export { FindingStore, type FindingPublisher } from './lib/findings/finding.store';
export { IngestEvents, type IngestResult } from './lib/ingest/ingest-events.usecase';
export { ImportFiles, type ImportProgress, type ImportOptions } from './lib/ingest/import-files.usecase';
export { parseIpRanges } from './lib/findings/ip-ranges';
export { SweepFindings } from './lib/findings/sweep-findings.usecase';
export { PollerService } from './lib/service/poller.service';
export { runTimeline } from './lib/queries/run-timeline.query';
export { whoChanged } from './lib/queries/who-changed.query';
// The run event span, for the partitions benchmark (its plain database and its rewritten event times).
export { FILL_RUN_EVENT_SPANS, runEventSpanColumns } from './lib/runs/run-event-span';
// The row mapping, for the P2 benchmark's floor (the same rows, inserted without correlation).
export { EVENT_COLUMNS, eventRowValues, NO_LINK } from './lib/ingest/event-row';
// The S3 delivery reader and its parts, for the S3 benchmark (bench/audit-s3.bench.ts).
export { S3TrailReader, type S3Cycle } from './lib/poller/s3-trail-reader';
export { AwsTrailBucket } from './lib/poller/trail-bucket.client';
export { PollerLease } from './lib/poller/poller-lease';
export { trailS3Progress } from './lib/trail-sources/trail-source.store';
