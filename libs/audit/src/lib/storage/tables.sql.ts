/**
 * The audit schema, written once for both drivers. Times are epoch milliseconds in `bigint`
 * columns (SQLite `integer`): the hot ingest path is raw batched SQL shared by both drivers, and
 * integer keys keep the composite indexes compact and their order unambiguous. Why each index
 * exists is explained in libs/audit/README.md.
 */
export function auditTables(driver: 'sqlite' | 'postgres'): string[] {
  const json = driver === 'postgres' ? 'jsonb' : 'text';
  const big = driver === 'postgres' ? 'bigint' : 'integer';
  return [
    `create table "cloudtrail_event" (
      "event_id" varchar(128) not null primary key,
      "event_time" ${big} not null,
      "event_name" varchar(128) not null,
      "event_source" varchar(128) not null,
      "aws_region" varchar(64) null,
      "recipient_account_id" varchar(32) null,
      "principal_type" varchar(32) null,
      "principal_arn" varchar(2048) null,
      "access_key_id" varchar(128) null,
      "session_name" varchar(128) null,
      "source_identity" varchar(128) null,
      "user_name" varchar(256) null,
      "source_ip" varchar(256) null,
      "user_agent" varchar(1024) null,
      "error_code" varchar(256) null,
      "error_message" varchar(2048) null,
      "read_only" boolean null,
      "role_arn" varchar(2048) null,
      "issued_access_key_id" varchar(128) null,
      "runtrail_marker" varchar(32) null,
      "resources" ${json} null,
      "request_parameters" ${json} null,
      "response_elements" ${json} null,
      "session_event_id" varchar(128) null,
      "run_id" varchar(26) null,
      "account" varchar(64) null,
      "space_id" varchar(128) null,
      "caller_id" varchar(128) null,
      "link" varchar(32) null,
      "source" varchar(512) not null
    )`,
    `create index "cloudtrail_event_run_idx" on "cloudtrail_event" ("run_id", "event_time", "event_id") where "run_id" is not null`,
    `create index "cloudtrail_event_key_idx" on "cloudtrail_event" ("access_key_id") where "access_key_id" is not null`,
    `create index "cloudtrail_event_arn_idx" on "cloudtrail_event" ("principal_arn", "event_time") where "principal_type" = 'AssumedRole'`,
    `create index "cloudtrail_event_account_idx" on "cloudtrail_event" ("account", "event_time", "event_id") where "account" is not null`,
    `create index "cloudtrail_event_caller_idx" on "cloudtrail_event" ("caller_id", "event_time", "event_id") where "caller_id" is not null`,
    `create index "cloudtrail_event_space_idx" on "cloudtrail_event" ("space_id", "event_time", "event_id") where "space_id" is not null`,
    `create index "cloudtrail_event_marked_idx" on "cloudtrail_event" ("event_time") where "runtrail_marker" is not null and "run_id" is null`,
    `create table "event_resource" (
      "resource" varchar(2048) not null,
      "event_time" ${big} not null,
      "event_id" varchar(128) not null,
      primary key ("resource", "event_time", "event_id")
    )`,
    `create table "bad_record" (
      "id" varchar(700) not null primary key,
      "source" varchar(512) not null,
      "record_index" integer not null,
      "reason" varchar(2048) not null,
      "excerpt" text null,
      "recorded_at" ${big} not null
    )`,
    `create table "run" (
      "run_id" varchar(26) not null primary key,
      "account" varchar(64) not null,
      "space_id" varchar(128) not null,
      "caller_type" varchar(16) not null,
      "caller_id" varchar(128) not null,
      "caller_slug" varchar(128) not null,
      "run_type" varchar(16) not null,
      "worker_id" varchar(128) not null,
      "ended_at" ${big} null,
      "end_phase" varchar(16) null
    )`,
    `create table "run_phase" (
      "run_id" varchar(26) not null,
      "phase" varchar(16) not null,
      "at" ${big} not null,
      primary key ("run_id", "phase", "at")
    )`,
    `create table "issuance" (
      "id" varchar(256) not null primary key,
      "run_id" varchar(26) not null,
      "account" varchar(64) not null,
      "space_id" varchar(128) not null,
      "caller_id" varchar(128) not null,
      "integration_id" varchar(26) not null,
      "role_arn" varchar(2048) not null,
      "phase" varchar(16) not null,
      "scope" varchar(8) not null,
      "mode" varchar(16) not null,
      "access_key_id" varchar(128) null,
      "session_name" varchar(128) not null,
      "source_identity" varchar(128) not null, -- null allowed since 20261203090000 (SourceIdentity is opt-in)
      "issued_at" ${big} not null,
      "expires_at" ${big} not null,
      "assume_event_id" varchar(128) null
    )`,
    `create index "issuance_key_idx" on "issuance" ("access_key_id")`,
    `create index "issuance_session_idx" on "issuance" ("session_name", "issued_at")`,
    `create index "issuance_run_idx" on "issuance" ("run_id", "issued_at")`,
    `create index "issuance_unseen_idx" on "issuance" ("issued_at") where "assume_event_id" is null`,
    `create table "integrated_role" (
      "role_arn" varchar(2048) not null primary key,
      "account" varchar(64) not null
    )`,
    `create table "aws_session" (
      "access_key_id" varchar(128) not null primary key,
      "assume_event_id" varchar(128) not null,
      "parent_access_key_id" varchar(128) null,
      "role_arn" varchar(2048) null,
      "assumed_role_arn" varchar(2048) null,
      "source_identity" varchar(128) null,
      "issued_at" ${big} not null,
      "expires_at" ${big} not null,
      "run_id" varchar(26) null,
      "account" varchar(64) null,
      "space_id" varchar(128) null,
      "caller_id" varchar(128) null,
      "link" varchar(32) null
    )`,
    `create index "aws_session_arn_idx" on "aws_session" ("assumed_role_arn", "issued_at")`,
    `create index "aws_session_parent_idx" on "aws_session" ("parent_access_key_id")`,
    `create table "finding" (
      "id" varchar(512) not null primary key,
      "kind" varchar(32) not null,
      "severity" varchar(8) not null,
      "account" varchar(64) null,
      "run_id" varchar(26) null,
      "role_arn" varchar(2048) null,
      "aws_account_id" varchar(32) null,
      "event_id" varchar(128) null,
      "message" varchar(2048) not null,
      "detected_at" ${big} not null,
      "details" ${json} not null,
      "published_at" ${big} null
    )`,
    `create index "finding_time_idx" on "finding" ("detected_at", "id")`,
    `create index "finding_kind_idx" on "finding" ("kind", "detected_at", "id")`,
    `create index "finding_account_idx" on "finding" ("account", "detected_at", "id")`,
    `create index "finding_run_idx" on "finding" ("run_id", "detected_at", "id")`,
    `create index "finding_unpublished_idx" on "finding" ("detected_at") where "published_at" is null`,
    `create table "poll_checkpoint" (
      "aws_account_id" varchar(32) not null,
      "region" varchar(64) not null,
      "checkpoint_ms" ${big} not null,
      "updated_at" ${big} not null,
      primary key ("aws_account_id", "region")
    )`,
  ];
}

/**
 * The admin log (`integrations.v1.admin.*`, later audit's own trail-source changes), added by
 * migration 20261204090000. Listed newest first per account, by actor, by target, and (for keys
 * limited to some spaces) per space.
 */
export function adminEventTables(driver: 'sqlite' | 'postgres'): string[] {
  const json = driver === 'postgres' ? 'jsonb' : 'text';
  const big = driver === 'postgres' ? 'bigint' : 'integer';
  return [
    `create table "admin_event" (
      "id" varchar(26) not null primary key,
      "account" varchar(64) not null,
      "at" ${big} not null,
      "action" varchar(64) not null,
      "actor_key_id" varchar(26) null,
      "actor_role" varchar(16) null,
      "target_type" varchar(32) not null,
      "target_id" varchar(128) not null,
      "target_name" varchar(256) null,
      "space_id" varchar(128) null,
      "changes" ${json} null,
      "autoattach_label" varchar(128) null
    )`,
    `create index "admin_event_account_idx" on "admin_event" ("account", "at", "id")`,
    `create index "admin_event_actor_idx" on "admin_event" ("account", "actor_key_id", "at", "id") where "actor_key_id" is not null`,
    `create index "admin_event_target_idx" on "admin_event" ("account", "target_type", "target_id", "at", "id")`,
    `create index "admin_event_space_idx" on "admin_event" ("account", "space_id", "at", "id") where "space_id" is not null`,
  ];
}

/**
 * Trail sources (issue 12), added by migration 20261205090000: a reader role in a customer's AWS
 * account, per runtrail account (no credentials: the role is assumed on demand), and per region its
 * poll checkpoint and health. One source per (runtrail account, AWS account).
 */
export function trailSourceTables(driver: 'sqlite' | 'postgres'): string[] {
  const json = driver === 'postgres' ? 'jsonb' : 'text';
  const big = driver === 'postgres' ? 'bigint' : 'integer';
  return [
    `create table "trail_source" (
      "id" varchar(26) not null primary key,
      "account" varchar(64) not null,
      "aws_account_id" varchar(12) not null,
      "regions" ${json} not null,
      "role_arn" varchar(2048) not null,
      "bucket" varchar(63) null,
      "prefix" varchar(1024) null,
      "created_at" ${big} not null,
      "updated_at" ${big} not null,
      "verified_at" ${big} not null
    )`,
    `create unique index "trail_source_account_aws_idx" on "trail_source" ("account", "aws_account_id")`,
    `create table "trail_source_region" (
      "source_id" varchar(26) not null,
      "region" varchar(64) not null,
      "checkpoint_ms" ${big} null,
      "last_success_at" ${big} null,
      "last_error" varchar(2048) null,
      "last_error_at" ${big} null,
      "events_ingested" ${big} not null default 0,
      primary key ("source_id", "region")
    )`,
  ];
}

/** Every table of the audit schema, children first (for `down`). */
export const AUDIT_TABLES = [
  'event_resource', 'cloudtrail_event', 'bad_record', 'run_phase', 'run', 'issuance',
  'integrated_role', 'aws_session', 'finding', 'poll_checkpoint',
];

/**
 * S3 delivery of trail sources, added by migration 20261206090000: per (source, region) the last
 * log file key read (the listing resumes from its minute, less the overlap). The same statement on
 * both drivers.
 */
export const TRAIL_S3_CHECKPOINT_COLUMN = `alter table "trail_source_region" add column "s3_checkpoint_key" varchar(1024) null`;
