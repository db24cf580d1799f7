import { baseServiceEnv, envInt, envUrl, serviceName } from '@runtrail/config';
import { z } from 'zod';

/**
 * Environment of the integrations service (validated once at start). Every variable is described
 * in libs/integrations/README.md.
 */
export const integrationsEnv = baseServiceEnv.extend({
  SERVICE_NAME: serviceName.default('integrations'),
  /**
   * Allows `POST /v1/accounts` (creating an account and its first admin key) to whoever presents it.
   * Unset: accounts cannot be created over HTTP at all.
   */
  INTEGRATIONS_BOOTSTRAP_TOKEN: z
    .string()
    .min(24, 'must be at least 24 characters (e.g. `openssl rand -hex 24`)')
    .optional(),
  /** runtrail's own AWS account: the principal of the `assume_role_policy_statement` it suggests. */
  PLATFORM_AWS_ACCOUNT_ID: z
    .string()
    .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
    .default('111111111111'),
  /**
   * runtrail's OIDC issuer base URL (the oidc-issuer's own variable): lets
   * `GET /v1/integrations/{id}/external-ids` answer an OIDC-mode integration's statement (its
   * provider `<host>/oidc/<account>`). Unset: that statement is left out, with a note.
   */
  OIDC_PUBLIC_URL: envUrl({ protocols: ['http', 'https'] }).optional(),
  /** The oidc-issuer's `aud` default when an account sets none (unset: the issuer's host name). */
  OIDC_DEFAULT_AUDIENCE: z.string().min(1).max(255).optional(),
  /** How long a save waits for the verifier's verdict (it retries for IAM eventual consistency first). */
  INTEGRATIONS_VERIFY_TIMEOUT_MS: envInt({ min: 1000, max: 300_000 }).default(45_000),
  /** How often every integration is re-verified (0 turns periodic re-verification off). */
  INTEGRATIONS_REVERIFY_INTERVAL_S: envInt({ min: 0, max: 7 * 86_400 }).default(3600),
  /** A run's maximum lifetime: past it the run is STOPPED and gets no credentials (default 24 h). */
  INTEGRATIONS_RUN_MAX_LIFETIME_S: envInt({ min: 60, max: 30 * 86_400 }).default(86_400),
  /** How often runs past their maximum lifetime are looked for and STOPPED. */
  INTEGRATIONS_RUN_SWEEP_INTERVAL_S: envInt({ min: 1, max: 3600 }).default(30),
  /** How often the outbox relay looks for unpublished events (it is also woken after each write). */
  INTEGRATIONS_OUTBOX_INTERVAL_MS: envInt({ min: 50, max: 60_000 }).default(1000),
});
export type IntegrationsEnv = z.output<typeof integrationsEnv>;
