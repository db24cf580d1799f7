import { isTerminalPhase, type Phase, type RunType } from '@runtrail/contracts';

/**
 * The work phases each run type goes through, in order. Proposed runs only plan (read); tracked,
 * destroy and module test runs plan (read) then apply (write); tasks perform a command (write).
 */
export const WORK_PHASES: Record<RunType, readonly [Phase, ...Phase[]]> = {
  PROPOSED: ['PLANNING'],
  TRACKED: ['PLANNING', 'APPLYING'],
  DESTROY: ['PLANNING', 'APPLYING'],
  TESTING: ['PLANNING', 'APPLYING'],
  TASK: ['PERFORMING'],
};

/**
 * The phases a run of `runType` may enter from `from`. A run starts QUEUED, may pass INITIALIZING,
 * then goes through its work phases in order (a plan with no changes may finish without applying);
 * FAILED and STOPPED are reachable from every phase that is not terminal; terminal phases are final.
 */
export function nextPhases(runType: RunType, from: Phase): Phase[] {
  if (isTerminalPhase(from)) return [];
  const work = WORK_PHASES[runType];
  const ends: Phase[] = ['FAILED', 'STOPPED'];
  if (from === 'QUEUED') return ['INITIALIZING', work[0], ...ends];
  if (from === 'INITIALIZING') return [work[0], ...ends];
  const index = work.indexOf(from);
  if (index < 0) return ends;
  const next = work[index + 1];
  return next ? [next, 'FINISHED', ...ends] : ['FINISHED', ...ends];
}
