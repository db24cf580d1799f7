import type { RunPhaseChanged } from '@runtrail/contracts';
import type { FindingStore } from '../findings/finding.store';
import { findUsedAfterEnd } from '../findings/used-after-end.check';
import type { AuditDb } from '../storage/audit-db';

/** Phases after which a run's credentials must no longer be used. */
export const END_PHASES = new Set(['FINISHED', 'FAILED', 'STOPPED']);

/**
 * Records that a run entered a phase (`runs.v1.phase.*`), idempotently: the run's caller and
 * place, the phase with its time, and for an end phase the end time (the earliest end wins, so a
 * redelivered or late STOPPED cannot move it). Calls already stored that came after the end are
 * raised at once: the trail is usually ingested minutes after the run ends.
 */
export class RecordRunPhase {
  constructor(
    private readonly db: AuditDb,
    private readonly findings: FindingStore,
  ) {}

  async record(e: RunPhaseChanged): Promise<void> {
    const at = Date.parse(e.at);
    await this.db.transaction(async (tx) => {
      await ensureRun(tx, { runId: e.runId, account: e.account, spaceId: e.spaceId, callerType: e.caller.type, callerId: e.caller.id,
        callerSlug: e.caller.slug, runType: e.runType, workerId: e.workerId });
      await tx.run(`update "run" set "run_type" = ? where "run_id" = ? and "run_type" = 'UNKNOWN'`, [e.runType, e.runId]);
      await tx.run(`insert into "run_phase" ("run_id", "phase", "at") values (?, ?, ?) on conflict do nothing`, [e.runId, e.phase, at]);
      if (END_PHASES.has(e.phase)) {
        await tx.run(`update "run" set "ended_at" = ?, "end_phase" = ? where "run_id" = ? and ("ended_at" is null or "ended_at" > ?)`,
          [at, e.phase, e.runId, at]);
      }
    });
    if (END_PHASES.has(e.phase)) await this.findings.raise(await findUsedAfterEnd(this.db, e.runId));
  }
}

export interface RunRow {
  runId: string;
  account: string;
  spaceId: string;
  callerType: string;
  callerId: string;
  callerSlug: string;
  runType: string;
  workerId: string;
}

/** Inserts the run unless known; an issuance may arrive before the run's first phase event. */
export async function ensureRun(db: AuditDb, run: RunRow): Promise<void> {
  await db.run(
    `insert into "run" ("run_id", "account", "space_id", "caller_type", "caller_id", "caller_slug", "run_type", "worker_id")
     values (?, ?, ?, ?, ?, ?, ?, ?) on conflict ("run_id") do nothing`,
    [run.runId, run.account, run.spaceId, run.callerType, run.callerId, run.callerSlug, run.runType, run.workerId],
  );
}
