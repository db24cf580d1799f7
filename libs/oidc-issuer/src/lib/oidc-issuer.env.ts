import { baseServiceEnv, serviceName } from '@runtrail/config';
import type { z } from 'zod';

/** Environment of the oidc-issuer service (validated once at start). */
export const oidcIssuerEnv = baseServiceEnv.extend({
  SERVICE_NAME: serviceName.default('oidc-issuer'),
});
export type OidcIssuerEnv = z.output<typeof oidcIssuerEnv>;
