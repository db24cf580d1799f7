import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { PHASES, isTerminalPhase, type RunPhaseChanged } from '@runtrail/contracts';
import { InjectEntityManager, isUniqueViolation, toRuntrailError } from '@runtrail/persistence';
import { RunState } from './run-state.entity';
import { serialiseSqliteWrites } from './sqlite-writes';

const TERMINAL_PHASES = PHASES.filter(isTerminalPhase);

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
    const row = {
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
      workerPublicKey: event.workerPublicKey,
      ...(event.deadline ? { deadline: new Date(event.deadline) } : {}),
      updatedAt: now,
    };
    return serialiseSqliteWrites(this.em, async () => {
      try {
        try {
          await this.em.fork().insert(RunState, row);
          return true;
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
          const updated = await this.em
            .fork()
            .nativeUpdate(
              RunState,
              { runId: event.runId, at: { $lte: at }, phase: { $nin: TERMINAL_PHASES } },
              row,
            );
          return updated === 1;
        }
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
