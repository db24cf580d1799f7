import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { PHASES, isTerminalPhase, type RunPhaseChanged } from '@runtrail/contracts';
import { InjectEntityManager, toRuntrailError } from '@runtrail/persistence';
import { columnOf, executeWrite, insertIgnoringSql } from './ledger-sql';
import { isoColumn, isPostgres, postgresBatcher } from './postgres-batches';
import { RunState } from './run-state.entity';
import { serialiseSqliteWrites } from './sqlite-writes';
import type { StatementBatcher } from './statement-batcher';

const TERMINAL_PHASES = PHASES.filter(isTerminalPhase);
const ROW_PROPERTIES = [
  'runId', 'phase', 'at', 'account', 'spaceId', 'callerType', 'callerId', 'callerSlug', 'runType',
  'workerId', 'workerPublicKey', 'deadline', 'updatedAt',
] as const;
const INSERT_SQL = insertIgnoringSql('run_state', 'run_id', ROW_PROPERTIES);

type Row = Record<(typeof ROW_PROPERTIES)[number], unknown>;

/**
 * On PostgreSQL the record of concurrent events is one upsert: inserted, or updated where the
 * stored phase is neither later nor terminal (what the insert-then-update below does on SQLite);
 * `returning` names the runs it recorded.
 */
const PG_RECORD = {
  name: 'runtrail_broker_run_state',
  text: `insert into "run_state" (${ROW_PROPERTIES.map((p) => `"${columnOf(p)}"`).join(', ')})
    select * from unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[],
      $8::text[], $9::text[], $10::text[], $11::jsonb[], $12::timestamptz[], $13::timestamptz[])
    on conflict ("run_id") do update set
      ${ROW_PROPERTIES.filter((p) => p !== 'runId')
        .map((p) =>
          p === 'deadline'
            ? `"deadline" = coalesce(excluded."deadline", "run_state"."deadline")`
            : `"${columnOf(p)}" = excluded."${columnOf(p)}"`,
        )
        .join(', ')}
    where "run_state"."at" <= excluded."at" and "run_state"."phase" <> all($14::text[])
    returning "run_id" as "key"`,
};

/** The latest phase of every run the broker has seen. */
@Injectable()
export class RunStateStore {
  private readonly upserts: StatementBatcher<Row> | null;

  constructor(@InjectEntityManager('credential-broker') private readonly em: EntityManager) {
    this.upserts = isPostgres(em)
      ? postgresBatcher<Row>(em, PG_RECORD, (row) => row['runId'] as string, (rows) => [
          ...ROW_PROPERTIES.map((p) =>
            p === 'at' || p === 'deadline' || p === 'updatedAt'
              ? isoColumn(rows.map((row) => row[p] as Date | null))
              : rows.map((row) => row[p]),
          ),
          TERMINAL_PHASES,
        ])
      : null;
  }

  /**
   * Records the run's phase unless a later phase is already known: JetStream may redeliver an old
   * event after a newer one, and a FINISHED run must never look active again, so a terminal phase
   * is final whatever the next event's time. An event without a deadline (older publishers) keeps
   * the one already known.
   *
   * @returns false when a later or terminal phase of the run is already known (the event is stale).
   */
  async record(event: RunPhaseChanged, now: Date): Promise<boolean> {
    const at = new Date(event.at);
    const row: Row = {
      runId: event.runId,
      phase: event.phase,
      at,
      account: event.account,
      spaceId: event.spaceId,
      callerType: event.caller.type,
      callerId: event.caller.id,
      callerSlug: event.caller.slug,
      runType: event.runType,
      workerId: event.workerId,
      workerPublicKey: JSON.stringify(event.workerPublicKey),
      deadline: event.deadline ? new Date(event.deadline) : null,
      updatedAt: now,
    };
    if (this.upserts) {
      try {
        return await this.upserts.submit(row);
      } catch (error) {
        throw toRuntrailError(error, `run ${event.runId}`);
      }
    }
    // An event without a deadline keeps the one already known.
    const changed = ROW_PROPERTIES.filter((p) => p !== 'runId' && (p !== 'deadline' || row.deadline !== null));
    return serialiseSqliteWrites(this.em, async () => {
      try {
        if ((await executeWrite(this.em, INSERT_SQL, ROW_PROPERTIES.map((p) => row[p]))) === 1) return true;
        const updated = await executeWrite(
          this.em,
          `update "run_state" set ${changed.map((p) => `"${columnOf(p)}" = ?`).join(', ')}
            where "run_id" = ? and "at" <= ? and "phase" not in (${TERMINAL_PHASES.map(() => '?').join(', ')})`,
          [...changed.map((p) => row[p]), event.runId, at, ...TERMINAL_PHASES],
        );
        return updated === 1;
      } catch (error) {
        throw toRuntrailError(error, `run ${event.runId}`);
      }
    });
  }

  async find(runId: string): Promise<RunState | null> {
    try {
      return await this.em.fork().findOne(RunState, { runId }, { disableIdentityMap: true });
    } catch (error) {
      throw toRuntrailError(error, `run ${runId}`);
    }
  }
}
