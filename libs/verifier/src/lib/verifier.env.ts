import { baseServiceEnv, serviceName } from '@runtrail/config';
import type { z } from 'zod';

/** Environment of the verifier service (validated once at start). */
export const verifierEnv = baseServiceEnv.extend({
  SERVICE_NAME: serviceName.default('verifier'),
});
export type VerifierEnv = z.output<typeof verifierEnv>;
