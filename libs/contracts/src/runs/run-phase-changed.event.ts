// Frozen: v1 subjects and fields may gain optional members; anything breaking is a new major.
import { z } from 'zod';
import { defineEvent } from '../lib/define';
import { accountSlug, callerRef, isoDateTime, phase, publicEcJwk, runType, spaceId, ulid, workerId } from '../lib/primitives';

/** Published by the scheduler when a run enters a phase: `runs.v1.phase.<runId>`. */
export const runPhaseChangedSchema = z.object({
  runId: ulid,
  account: accountSlug,
  spaceId,
  caller: callerRef,
  runType,
  phase,
  workerId,
  /** The worker's one-run public key: every delivery for this run is sealed to it. */
  workerPublicKey: publicEcJwk,
  /** When the run entered the phase. */
  at: isoDateTime,
});
export type RunPhaseChanged = z.infer<typeof runPhaseChangedSchema>;

export const RunPhaseChangedEvent = defineEvent({
  name: 'runs.v1.phase',
  pattern: 'runs.v1.phase.*',
  stream: 'RUNS',
  schema: runPhaseChangedSchema,
  subject: (e) => `runs.v1.phase.${e.runId}`,
  msgId: (e) => `${e.runId}:${e.phase}`,
});
