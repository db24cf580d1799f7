import { RuntrailError, type IntegrationSnapshot } from '@runtrail/contracts';

/** The shortest session STS grants (AssumeRole and AssumeRoleWithWebIdentity alike). */
export const STS_MIN_DURATION_SECONDS = 900;

/**
 * Refuses an integration whose (re-)verification found its trust policy unsafe. The `resolve`
 * snapshot carries only the flag, so the message points to where the reasons are.
 *
 * @throws RuntrailError `UNSAFE_TRUST_POLICY`
 */
export function assertHealthy(integration: IntegrationSnapshot): void {
  if (integration.healthy) return;
  const id = integration.id;
  throw new RuntrailError(
    'UNSAFE_TRUST_POLICY',
    `integration ${integration.name} (${id}) failed re-verification: its trust policy is not safe to use (the reasons are its healthReasons in GET /v1/integrations/${id}); fix the trust policy and POST /v1/integrations/${id}/verify`,
  );
}

/**
 * Refuses once the run's maximum lifetime is over. Runs from before deadlines existed have none.
 *
 * @throws RuntrailError `RUN_NOT_ACTIVE`
 */
export function assertWithinLifetime(runId: string, deadline: Date | null, now: Date): void {
  if (deadline && deadline.getTime() <= now.getTime()) {
    throw new RuntrailError(
      'RUN_NOT_ACTIVE',
      `run ${runId} reached its maximum lifetime at ${deadline.toISOString()}: it gets no more credentials`,
    );
  }
}

/**
 * How long a session (and the OIDC token behind it) for the run may last: the integration's
 * duration, cut to what remains of the run's lifetime. STS grants no less than 900 s, so with less
 * than that remaining the broker refuses rather than hand out credentials that outlive the run.
 *
 * @throws RuntrailError `RUN_NOT_ACTIVE` past the deadline or less than 900 s before it
 */
export function sessionSeconds(
  runId: string,
  durationSeconds: number,
  deadline: Date | null,
  now: Date,
): number {
  assertWithinLifetime(runId, deadline, now);
  if (!deadline) return durationSeconds;
  const remaining = Math.floor((deadline.getTime() - now.getTime()) / 1000);
  if (remaining < STS_MIN_DURATION_SECONDS) {
    throw new RuntrailError(
      'RUN_NOT_ACTIVE',
      `run ${runId} reaches its maximum lifetime at ${deadline.toISOString()}, in ${remaining} s: less than STS's shortest session (${STS_MIN_DURATION_SECONDS} s), so no credentials are issued that would outlive it`,
    );
  }
  return Math.min(durationSeconds, remaining);
}
