// Frozen: v1 subjects and fields may gain optional members; anything breaking is a new major.
import { z } from 'zod';
import { defineRequest } from '../lib/define';
import { compactJwe, isoDateTime, publicEcJwk, ulid, workerId } from '../lib/primitives';

/** `credentials.v1.refresh`: a worker asks for fresh credentials while its run is still in a credentialed phase. */
export const CredentialsRefreshRequest = defineRequest({
  subject: 'credentials.v1.refresh',
  request: z.object({
    runId: ulid,
    workerId,
    integrationId: ulid,
    /** Must equal the key of the run's phase event: only that worker can open the reply. */
    workerPublicKey: publicEcJwk,
  }),
  reply: z.object({
    sealed: compactJwe,
    expiresAt: isoDateTime,
  }),
});
