import { scopeOfPhase, type Phase, type RunType } from '@runtrail/contracts';

/**
 * The credentialed phases a run of each type goes through, in order, as a scheduler would publish
 * them. Proposed runs only plan (read). Tracked, destroy and module test runs plan (read) then
 * apply (write). Tasks perform a command (write) without planning.
 */
export const CREDENTIALED_PHASES: Record<RunType, readonly Phase[]> = {
  PROPOSED: ['PLANNING'],
  TRACKED: ['PLANNING', 'APPLYING'],
  DESTROY: ['PLANNING', 'APPLYING'],
  TESTING: ['PLANNING', 'APPLYING'],
  TASK: ['PERFORMING'],
};

/** What `runtrail exec --publish-phases` publishes around the command. */
export interface PhasePlan {
  /** Published and waited for (their credentials arrive) before the command's phase. */
  before: Phase[];
  /** The phase the command runs in: its credentials are the command's. */
  commandPhase: Phase;
}

/**
 * The phases to publish so that the command runs in `commandPhase` (default: the run type's last
 * credentialed phase). QUEUED/INITIALIZING come first, as a scheduler would; FINISHED or FAILED
 * follow the command.
 *
 * @throws Error when the run type never enters `commandPhase`.
 */
export function planPhases(runType: RunType, commandPhase?: Phase): PhasePlan {
  const phases = CREDENTIALED_PHASES[runType];
  const target = commandPhase ?? phases[phases.length - 1] ?? 'PLANNING';
  const index = phases.indexOf(target);
  if (index < 0 || scopeOfPhase(target) === null) {
    throw new Error(
      `a ${runType} run has no ${target} phase with credentials; use one of ${phases.join(', ')}`,
    );
  }
  return { before: ['INITIALIZING', ...phases.slice(0, index)], commandPhase: target };
}
