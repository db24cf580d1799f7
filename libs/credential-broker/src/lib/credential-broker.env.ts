import { baseServiceEnv, envInt, envUrl, serviceName } from '@runtrail/config';
import type { z } from 'zod';

/** Environment of the credential-broker service (validated once at start). */
export const credentialBrokerEnv = baseServiceEnv.extend({
  SERVICE_NAME: serviceName.default('credential-broker'),
  /**
   * STS endpoint override for every call (the aws-emulator in development). Unset in production:
   * each integration's regional endpoint of its role's partition is used.
   */
  AWS_ENDPOINT_URL: envUrl({ protocols: ['http', 'https'] }).optional(),
  /** STS attempts per issuance for throttling/5xx before the event is handed back to JetStream. */
  BROKER_STS_ATTEMPTS: envInt({ min: 1, max: 10 }).default(4),
  /** Refreshes one run may ask for per minute (per replica); past it `THROTTLED`, retried later. */
  BROKER_REFRESH_LIMIT_PER_RUN: envInt({ min: 1, max: 1000 }).default(12),
});
export type CredentialBrokerEnv = z.output<typeof credentialBrokerEnv>;
