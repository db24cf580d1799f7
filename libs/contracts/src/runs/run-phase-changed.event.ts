// Frozen: v1 subjects and fields may gain optional members; anything breaking is a new major.
import { z } from 'zod';
import { defineEvent } from '../lib/define';
import { accountSlug, callerRef, isoDateTime, phase, publicEcJwk, runType, spaceId, ulid, workerId } from '../lib/primitives';

/**
 * A run entered a phase: `runs.v1.phase.<runId>`. Published only by the integrations service (its
 * runs API, the front door schedulers use), with account, space and caller from its registry and
 * the server's time; NATS permissions let nothing else publish `runs.v1.>`.
 */
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
  /** When the run entered the phase (the server's clock). */
  at: isoDateTime,
  /**
   * The run's maximum lifetime ends here (it is STOPPED then): no credentials, token or refresh
   * outlives it. Absent in events published before runs had a maximum lifetime.
   */
  deadline: isoDateTime.optional(),
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
