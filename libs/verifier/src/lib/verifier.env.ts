import { baseServiceEnv, envInt, envUrl, serviceName } from '@runtrail/config';
import { z } from 'zod';

/** Environment of the verifier service (validated once at start); see libs/verifier/README.md. */
export const verifierEnv = baseServiceEnv.extend({
  SERVICE_NAME: serviceName.default('verifier'),
  /** Attempts of a positive check before IAM eventual consistency is given up on (1 = no retry). */
  VERIFIER_RETRY_ATTEMPTS: envInt({ min: 1, max: 20 }).default(6),
  /** First backoff delay; doubles per attempt up to VERIFIER_RETRY_MAX_DELAY_MS. */
  VERIFIER_RETRY_BASE_DELAY_MS: envInt({ min: 10, max: 60_000 }).default(500),
  VERIFIER_RETRY_MAX_DELAY_MS: envInt({ min: 10, max: 60_000 }).default(4000),
  /** STS endpoint override (the aws-emulator locally); unset: the role's partition and region decide. */
  AWS_ENDPOINT_URL: envUrl({ protocols: ['http', 'https'] }).optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),
});
export type VerifierEnv = z.output<typeof verifierEnv>;
