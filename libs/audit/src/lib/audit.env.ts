import { baseServiceEnv, serviceName } from '@runtrail/config';
import type { z } from 'zod';

/** Environment of the audit service (validated once at start). */
export const auditEnv = baseServiceEnv.extend({
  SERVICE_NAME: serviceName.default('audit'),
});
export type AuditEnv = z.output<typeof auditEnv>;
