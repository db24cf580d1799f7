import { z } from 'zod';
import { parseOrThrow, ulid } from '@runtrail/contracts';

const runIdOnly = z.object({ runId: ulid });

/**
 * `SourceIdentity` for a run: the run id itself. STS carries it unchanged through role chaining, so
 * audit can follow a chained session back to its run. A ULID always satisfies `[\w+=,.@-]{2,64}`
 * and never starts with the reserved `aws:` prefix.
 *
 * @throws RuntrailError `VALIDATION_FAILED` when `runId` is not a ULID.
 */
export function sourceIdentity(runId: string): string {
  return parseOrThrow(runIdOnly, { runId }, 'source identity').runId;
}

/** The run id a source identity names, or `null` when it is not one runtrail set. */
export function runIdOfSourceIdentity(value: string): string | null {
  return ulid.safeParse(value).success ? value : null;
}
