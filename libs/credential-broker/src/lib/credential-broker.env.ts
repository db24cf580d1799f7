import { baseServiceEnv, serviceName } from '@runtrail/config';
import type { z } from 'zod';

/** Environment of the credential-broker service (validated once at start). */
export const credentialBrokerEnv = baseServiceEnv.extend({
  SERVICE_NAME: serviceName.default('credential-broker'),
});
export type CredentialBrokerEnv = z.output<typeof credentialBrokerEnv>;
