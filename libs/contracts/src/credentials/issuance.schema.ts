import { z } from 'zod';
import { accountSlug, callerRef, integrationMode, phase, roleArn, scope, spaceId, ulid, workerId } from '../lib/primitives';

/** What every credentials event says about the run and integration it concerns. */
export const issuanceSubjectSchema = z.object({
  runId: ulid,
  account: accountSlug,
  spaceId,
  caller: callerRef,
  phase,
  scope,
  workerId,
  integrationId: ulid,
  roleArn,
  mode: integrationMode,
});
