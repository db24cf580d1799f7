import type { NormalizedEvent } from '@runtrail/cloudtrail';
import { AuditDb, num, numOrNull, str, type SqlRow } from '../storage/audit-db';
import { runOfSourceIdentity } from '../ingest/event-row';
import type { KnownIssuance, KnownRun, KnownSession } from './correlation.types';

/**
 * What one batch needs to know from earlier batches and from the run/issuance facts, loaded with a
 * handful of IN queries per batch (never one query per event).
 */
export class CorrelationContext {
  readonly sessionsByKey = new Map<string, KnownSession>();
  readonly sessionsByArn = new Map<string, KnownSession[]>();
  readonly issuancesByKey = new Map<string, KnownIssuance>();
  readonly issuancesBySession = new Map<string, KnownIssuance[]>();
  readonly issuancesByRun = new Map<string, KnownIssuance[]>();
  readonly runs = new Map<string, KnownRun>();
  /** Role ARN -> the runtrail account whose integration uses it. */
  readonly integratedRoles = new Map<string, string>();

  addSession(session: KnownSession): void {
    this.sessionsByKey.set(session.accessKeyId, session);
    if (session.assumedRoleArn) {
      const list = this.sessionsByArn.get(session.assumedRoleArn) ?? [];
      list.push(session);
      this.sessionsByArn.set(session.assumedRoleArn, list);
    }
  }

  static async load(db: AuditDb, events: NormalizedEvent[]): Promise<CorrelationContext> {
    const ctx = new CorrelationContext();
    const keys = new Set<string>();
    const arns = new Set<string>();
    const sessionNames = new Set<string>();
    const runIds = new Set<string>();
    const deniedRoles = new Set<string>();
    for (const e of events) {
      if (e.principal.accessKeyId) keys.add(e.principal.accessKeyId);
      if (e.principal.type === 'AssumedRole' && e.principal.arn) arns.add(e.principal.arn);
      for (const si of [e.principal.sourceIdentity, e.assumeRole?.sourceIdentity ?? null]) {
        const runId = runOfSourceIdentity(si);
        if (runId) runIds.add(runId);
      }
      const a = e.assumeRole;
      if (!a) continue;
      if (a.issuedAccessKeyId) keys.add(a.issuedAccessKeyId);
      if (a.roleSessionName) sessionNames.add(a.roleSessionName);
      if (e.errorCode && a.roleArn) deniedRoles.add(a.roleArn);
    }
    for (const row of await inChunks(db, 'select * from "aws_session" where "access_key_id" in', keys)) ctx.addSession(toSession(row));
    const arnsLeft = [...arns].filter((arn) => ![...ctx.sessionsByKey.values()].some((s) => s.assumedRoleArn === arn));
    for (const row of await inChunks(db, 'select * from "aws_session" where "assumed_role_arn" in', arnsLeft)) {
      if (!ctx.sessionsByKey.has(String(row['access_key_id']))) ctx.addSession(toSession(row));
    }
    const issuances = [
      ...(await inChunks(db, 'select * from "issuance" where "access_key_id" in', keys)),
      ...(await inChunks(db, 'select * from "issuance" where "session_name" in', sessionNames)),
      ...(await inChunks(db, 'select * from "issuance" where "run_id" in', runIds)),
    ];
    for (const row of issuances) ctx.addIssuance(toIssuance(row));
    for (const s of ctx.sessionsByKey.values()) if (s.runId) runIds.add(s.runId);
    for (const row of await inChunks(db, 'select * from "run" where "run_id" in', runIds)) {
      const run = toRun(row);
      ctx.runs.set(run.runId, run);
    }
    for (const row of await inChunks(db, 'select "role_arn", "account" from "integrated_role" where "role_arn" in', deniedRoles)) {
      ctx.integratedRoles.set(String(row['role_arn']), String(row['account']));
    }
    return ctx;
  }

  private addIssuance(issuance: KnownIssuance): void {
    if (issuance.accessKeyId) this.issuancesByKey.set(issuance.accessKeyId, issuance);
    push(this.issuancesBySession, issuance.sessionName, issuance);
    push(this.issuancesByRun, issuance.runId, issuance);
  }
}

function push<T extends { id: string }>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key) ?? [];
  if (!list.some((v) => v.id === value.id)) list.push(value);
  map.set(key, list);
}

const CHUNK = 500;

async function inChunks(db: AuditDb, sqlPrefix: string, values: Iterable<string>): Promise<SqlRow[]> {
  const all = [...values];
  const rows: SqlRow[] = [];
  for (let i = 0; i < all.length; i += CHUNK) {
    const part = all.slice(i, i + CHUNK);
    rows.push(...(await db.all(`${sqlPrefix} (${AuditDb.list(part.length)})`, part)));
  }
  return rows;
}

export function toSession(row: SqlRow): KnownSession {
  return {
    accessKeyId: String(row['access_key_id']),
    assumeEventId: String(row['assume_event_id']),
    parentAccessKeyId: str(row['parent_access_key_id']),
    roleArn: str(row['role_arn']),
    assumedRoleArn: str(row['assumed_role_arn']),
    sourceIdentity: str(row['source_identity']),
    issuedAt: num(row['issued_at']),
    expiresAt: num(row['expires_at']),
    runId: str(row['run_id']),
    account: str(row['account']),
    spaceId: str(row['space_id']),
    callerId: str(row['caller_id']),
    link: str(row['link']),
  };
}

export function toIssuance(row: SqlRow): KnownIssuance {
  return {
    id: String(row['id']),
    runId: String(row['run_id']),
    account: String(row['account']),
    spaceId: String(row['space_id']),
    callerId: String(row['caller_id']),
    roleArn: String(row['role_arn']),
    accessKeyId: str(row['access_key_id']),
    sessionName: String(row['session_name']),
    sourceIdentity: str(row['source_identity']),
    issuedAt: num(row['issued_at']),
    assumeEventId: str(row['assume_event_id']),
  };
}

export function toRun(row: SqlRow): KnownRun {
  return {
    runId: String(row['run_id']),
    account: String(row['account']),
    spaceId: String(row['space_id']),
    callerId: String(row['caller_id']),
    endedAt: numOrNull(row['ended_at']),
  };
}
