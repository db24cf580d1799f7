import { baseServiceEnv, serviceName } from '@runtrail/config';
import type { z } from 'zod';

/** Environment of the integrations service (validated once at start). */
export const integrationsEnv = baseServiceEnv.extend({
  SERVICE_NAME: serviceName.default('integrations'),
});
export type IntegrationsEnv = z.output<typeof integrationsEnv>;
