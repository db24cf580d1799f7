import type { S3ReadProgress } from '../poller/s3-trail-reader';
import { json, num, numOrNull, str, type AuditDb, type SqlRow } from '../storage/audit-db';

/** A stored trail source (never a credential: the role is assumed when needed). */
export interface TrailSource {
  id: string;
  account: string;
  awsAccountId: string;
  regions: string[];
  roleArn: string;
  bucket: string | null;
  prefix: string | null;
  createdAt: number;
  updatedAt: number;
  verifiedAt: number;
}

/** One (source, region) row: the poller's checkpoint and what the API shows as health. */
export interface TrailRegionRow {
  sourceId: string;
  region: string;
  checkpointMs: number | null;
  /** S3 delivery: the last log file key read (the greatest in key order). */
  s3CheckpointKey: string | null;
  lastSuccessAt: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
  eventsIngested: number;
}

const toSource = (r: SqlRow): TrailSource => ({
  id: String(r['id']),
  account: String(r['account']),
  awsAccountId: String(r['aws_account_id']),
  regions: json<string[]>(r['regions']) ?? [],
  roleArn: String(r['role_arn']),
  bucket: str(r['bucket']),
  prefix: str(r['prefix']),
  createdAt: num(r['created_at']),
  updatedAt: num(r['updated_at']),
  verifiedAt: num(r['verified_at']),
});

const toRegion = (r: SqlRow): TrailRegionRow => ({
  sourceId: String(r['source_id']),
  region: String(r['region']),
  checkpointMs: numOrNull(r['checkpoint_ms']),
  s3CheckpointKey: str(r['s3_checkpoint_key']),
  lastSuccessAt: numOrNull(r['last_success_at']),
  lastError: str(r['last_error']),
  lastErrorAt: numOrNull(r['last_error_at']),
  eventsIngested: num(r['events_ingested']),
});

/** Trail sources in audit's store. `account` null: every account's (the poller). */
export async function listTrailSources(db: AuditDb, account: string | null): Promise<TrailSource[]> {
  const rows = account === null
    ? await db.all(`select * from "trail_source" order by "id"`)
    : await db.all(`select * from "trail_source" where "account" = ? order by "id"`, [account]);
  return rows.map(toSource);
}

export async function getTrailSource(db: AuditDb, account: string, id: string): Promise<TrailSource | null> {
  const [row] = await db.all(`select * from "trail_source" where "account" = ? and "id" = ?`, [account, id]);
  return row ? toSource(row) : null;
}

export async function findTrailSourceByAwsAccount(db: AuditDb, account: string, awsAccountId: string): Promise<TrailSource | null> {
  const [row] = await db.all(`select * from "trail_source" where "account" = ? and "aws_account_id" = ?`, [account, awsAccountId]);
  return row ? toSource(row) : null;
}

/** Inserts or replaces a source and keeps exactly its regions' rows (a region's checkpoint and health survive an update). */
export async function saveTrailSource(db: AuditDb, s: TrailSource): Promise<void> {
  await db.run(
    `insert into "trail_source" ("id", "account", "aws_account_id", "regions", "role_arn", "bucket", "prefix", "created_at", "updated_at", "verified_at")
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     on conflict ("id") do update set "regions" = excluded."regions", "role_arn" = excluded."role_arn", "bucket" = excluded."bucket",
       "prefix" = excluded."prefix", "updated_at" = excluded."updated_at", "verified_at" = excluded."verified_at"`,
    [s.id, s.account, s.awsAccountId, JSON.stringify(s.regions), s.roleArn, s.bucket, s.prefix, s.createdAt, s.updatedAt, s.verifiedAt],
  );
  const keep = s.regions.map(() => '?').join(', ');
  await db.run(`delete from "trail_source_region" where "source_id" = ? and "region" not in (${keep})`, [s.id, ...s.regions]);
  for (const region of s.regions) {
    await db.run(
      `insert into "trail_source_region" ("source_id", "region", "events_ingested") values (?, ?, 0) on conflict ("source_id", "region") do nothing`,
      [s.id, region],
    );
  }
}

export async function deleteTrailSource(db: AuditDb, id: string): Promise<void> {
  await db.run(`delete from "trail_source_region" where "source_id" = ?`, [id]);
  await db.run(`delete from "trail_source" where "id" = ?`, [id]);
}

export async function trailRegions(db: AuditDb, sourceIds: string[]): Promise<TrailRegionRow[]> {
  if (!sourceIds.length) return [];
  const rows = await db.all(`select * from "trail_source_region" where "source_id" in (${sourceIds.map(() => '?').join(', ')})`, sourceIds);
  return rows.map(toRegion);
}

/** The end of the last window of (source, region) that was read completely, or null. */
export async function loadTrailCheckpoint(db: AuditDb, sourceId: string, region: string): Promise<number | null> {
  const [row] = await db.all(`select "checkpoint_ms" from "trail_source_region" where "source_id" = ? and "region" = ?`, [sourceId, region]);
  return row ? numOrNull(row['checkpoint_ms']) : null;
}

/**
 * A complete window: moves the checkpoint forward only (a slow former holder can never move it
 * back), records the success and counts the events it stored; clears the last error.
 */
export async function recordTrailPoll(db: AuditDb, sourceId: string, region: string, checkpointMs: number, inserted: number, now = Date.now()): Promise<void> {
  await db.run(
    `update "trail_source_region" set "checkpoint_ms" = case when "checkpoint_ms" is null or "checkpoint_ms" < ? then ? else "checkpoint_ms" end,
       "last_success_at" = ?, "last_error" = null, "last_error_at" = null, "events_ingested" = "events_ingested" + ?
     where "source_id" = ? and "region" = ?`,
    [checkpointMs, checkpointMs, now, inserted, sourceId, region],
  );
}

/** Events stored from a window that did not complete still count as ingested. */
export async function recordTrailError(db: AuditDb, sourceId: string, region: string, message: string, inserted: number, now = Date.now()): Promise<void> {
  await db.run(
    `update "trail_source_region" set "last_error" = ?, "last_error_at" = ?, "events_ingested" = "events_ingested" + ? where "source_id" = ? and "region" = ?`,
    [message.slice(0, 2048), now, inserted, sourceId, region],
  );
}

/** Where an S3 reader of (source, region) resumes: the last key read and the newest time read (files or LookupEvents). */
export async function loadS3Checkpoint(db: AuditDb, sourceId: string, region: string): Promise<{ key: string | null; ms: number | null }> {
  const [row] = await db.all(`select "s3_checkpoint_key", "checkpoint_ms" from "trail_source_region" where "source_id" = ? and "region" = ?`, [sourceId, region]);
  return { key: row ? str(row['s3_checkpoint_key']) : null, ms: row ? numOrNull(row['checkpoint_ms']) : null };
}

/**
 * One log file read: moves the key checkpoint from `previousKey` to `key` (compare-and-set, so a
 * former holder that lost the lease can never move it), the time checkpoint forward only to the
 * file's delivery time (the health's lag), and counts the events it stored.
 */
export async function recordS3File(
  db: AuditDb,
  at: { sourceId: string; region: string },
  file: { previousKey: string | null; key: string; deliveredMs: number; inserted: number },
): Promise<void> {
  await db.run(
    `update "trail_source_region" set
       "s3_checkpoint_key" = case when "s3_checkpoint_key" is null or "s3_checkpoint_key" = ? then ? else "s3_checkpoint_key" end,
       "checkpoint_ms" = case when "checkpoint_ms" is null or "checkpoint_ms" < ? then ? else "checkpoint_ms" end,
       "events_ingested" = "events_ingested" + ?
     where "source_id" = ? and "region" = ?`,
    [file.previousKey, file.key, file.deliveredMs, file.deliveredMs, file.inserted, at.sourceId, at.region],
  );
}

/** A complete S3 listing: records the success and clears the last error (the checkpoint moved file by file). */
export async function recordS3Listing(db: AuditDb, sourceId: string, region: string, now = Date.now()): Promise<void> {
  await db.run(
    `update "trail_source_region" set "last_success_at" = ?, "last_error" = null, "last_error_at" = null where "source_id" = ? and "region" = ?`,
    [now, sourceId, region],
  );
}

/** An S3 reader's checkpoint and health on its (source, region) row. */
export function trailS3Progress(db: AuditDb, sourceId: string, region: string): S3ReadProgress {
  return {
    load: () => loadS3Checkpoint(db, sourceId, region),
    fileRead: (file) => recordS3File(db, { sourceId, region }, file),
    complete: () => recordS3Listing(db, sourceId, region),
    // The files read before the failure were counted one by one.
    failed: (message) => recordTrailError(db, sourceId, region, message, 0),
  };
}
