import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { PHASES, isTerminalPhase, type RunPhaseChanged } from '@runtrail/contracts';
import { InjectEntityManager, toRuntrailError } from '@runtrail/persistence';
import { columnOf, executeWrite, insertIgnoringSql } from './ledger-sql';
import { RunState } from './run-state.entity';
import { serialiseSqliteWrites } from './sqlite-writes';

const TERMINAL_PHASES = PHASES.filter(isTerminalPhase);
const ROW_PROPERTIES = [
  'runId', 'phase', 'at', 'account', 'spaceId', 'callerType', 'callerId', 'callerSlug', 'runType',
  'workerId', 'workerPublicKey', 'deadline', 'updatedAt',
] as const;
const INSERT_SQL = insertIgnoringSql('run_state', 'run_id', ROW_PROPERTIES);

/** The latest phase of every run the broker has seen. */
@Injectable()
export class RunStateStore {
  constructor(@InjectEntityManager('credential-broker') private readonly em: EntityManager) {}

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
    const row: Record<(typeof ROW_PROPERTIES)[number], unknown> = {
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
