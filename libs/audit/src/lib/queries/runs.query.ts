import type { RunSummary } from '@runtrail/contracts';
import { decodeTime, encodeTime } from 'ulid';
import { num, numOrNull, str, type AuditDb, type SqlParam } from '../storage/audit-db';
import { scopeSql, type AuditScope } from './audit-scope';
import { decodeCursor, toPage, type Page } from './cursor';

export type { RunSummary };

/** Filters of the runs list; all optional, combined with AND. */
export interface RunFilter {
  /** A stack's or module's id. */
  callerId?: string;
  callerType?: 'stack' | 'module';
  spaceId?: string;
  runType?: string;
  /** The run's latest phase. */
  phase?: string;
  /** Runs created at or after (the run id's time). */
  from?: Date;
  /** Runs created before (exclusive). */
  to?: Date;
}

/** The lowest ULID of a millisecond: a time bound on the run id (ULIDs sort by creation time). */
function ulidFloor(at: Date): string {
  return `${encodeTime(Math.max(0, Math.min(at.getTime(), 2 ** 48 - 1)), 10)}${'0'.repeat(16)}`;
}

const LATEST_PHASE = `(select p."phase" from "run_phase" p where p."run_id" = r."run_id" order by p."at" desc limit 1)`;

/**
 * An account's runs, newest first, with their counts of issuances, AWS calls (refused ones too)
 * and findings. Run ids are ULIDs, so the order and the time range are a range of the primary
 * key (the keyset cursor is the last run id); the counts are one index lookup each per row of the
 * page (`issuance_run_idx`, `cloudtrail_event_run_idx`, `finding_run_idx`).
 */
export async function listRuns(db: AuditDb, filter: RunFilter, scope: AuditScope, cursorText?: string, limit = 100): Promise<Page<RunSummary>> {
  const s = scopeSql(scope, 'r');
  const where: string[] = [s.sql];
  const params: SqlParam[] = [...s.params];
  const eq = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    where.push(`r."${column}" = ?`);
    params.push(value);
  };
  eq('caller_id', filter.callerId);
  eq('caller_type', filter.callerType);
  eq('space_id', filter.spaceId);
  eq('run_type', filter.runType);
  if (filter.phase) {
    where.push(`${LATEST_PHASE} = ?`);
    params.push(filter.phase);
  }
  if (filter.from) {
    where.push(`r."run_id" >= ?`);
    params.push(ulidFloor(filter.from));
  }
  if (filter.to) {
    where.push(`r."run_id" < ?`);
    params.push(ulidFloor(filter.to));
  }
  const cursor = decodeCursor(cursorText);
  if (cursor) {
    where.push(`r."run_id" < ?`);
    params.push(cursor.id);
  }
  params.push(limit + 1);
  const rows = await db.all(
    `select r.*, ${LATEST_PHASE} as "phase",
      (select min(p."at") from "run_phase" p where p."run_id" = r."run_id") as "started_at",
      (select count(*) from "issuance" i where i."run_id" = r."run_id") as "issuances",
      (select count(*) from "cloudtrail_event" e where e."run_id" = r."run_id") as "aws_calls",
      (select count(*) from "cloudtrail_event" e where e."run_id" = r."run_id" and e."error_code" is not null) as "denied_calls",
      (select count(*) from "finding" f where f."run_id" = r."run_id") as "findings"
    from "run" r where ${where.join(' and ')} order by r."run_id" desc limit ?`,
    params,
  );
  return toPage(rows.map(toRunSummary), limit, (run) => ({ t: decodeTime(run.runId), id: run.runId }));
}

function iso(value: unknown): string | null {
  const ms = numOrNull(value);
  return ms === null ? null : new Date(ms).toISOString();
}

function toRunSummary(row: Record<string, unknown>): RunSummary {
  return {
    runId: String(row['run_id']),
    account: String(row['account']),
    spaceId: String(row['space_id']),
    callerType: String(row['caller_type']),
    callerId: String(row['caller_id']),
    callerSlug: String(row['caller_slug']),
    runType: String(row['run_type']),
    phase: str(row['phase']),
    startedAt: iso(row['started_at']),
    endedAt: iso(row['ended_at']),
    endPhase: str(row['end_phase']),
    issuances: num(row['issuances']),
    awsCalls: num(row['aws_calls']),
    deniedCalls: num(row['denied_calls']),
    findings: num(row['findings']),
  };
}
