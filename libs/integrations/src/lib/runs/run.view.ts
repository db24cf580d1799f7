import type { RunPhaseChanged } from '@runtrail/contracts';
import type { Run } from '../storage/run.entity';
import { nextPhases } from './run-lifecycle';

/** A run as the REST API shows it (the worker's public key is public, but not repeated here). */
export function runView(run: Run) {
  return {
    id: run.id,
    account: run.account,
    caller: { type: run.callerType, id: run.callerId, slug: run.callerSlug },
    spaceId: run.spaceId,
    runType: run.runType,
    workerId: run.workerId,
    phase: run.phase,
    phaseAt: run.phaseAt.toISOString(),
    nextPhases: nextPhases(run.runType, run.phase),
    deadline: run.deadline.toISOString(),
    createdAt: run.createdAt.toISOString(),
  };
}

/** The `runs.v1.phase` event for the run's current phase: every field from the registry and the server. */
export function runPhaseEvent(run: Run): RunPhaseChanged {
  return {
    runId: run.id,
    account: run.account,
    spaceId: run.spaceId,
    caller: { type: run.callerType, id: run.callerId, slug: run.callerSlug },
    runType: run.runType,
    phase: run.phase,
    workerId: run.workerId,
    workerPublicKey: run.workerPublicKey,
    at: run.phaseAt.toISOString(),
    deadline: run.deadline.toISOString(),
  };
}
