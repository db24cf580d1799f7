import type { IntegrationsEnv } from './integrations.env';

/** The integrations service's settings, derived once from its environment. */
export class IntegrationsConfig {
  constructor(
    readonly bootstrapToken: string | null,
    readonly platformAccountId: string,
    readonly verifyTimeoutMs: number,
    readonly reverifyIntervalMs: number,
    readonly outboxIntervalMs: number,
    readonly runMaxLifetimeMs: number,
    readonly runSweepIntervalMs: number,
    /** The OIDC issuer's public base URL and default audience, when known (see integrations.env.ts). */
    readonly oidc: { publicUrl: string; defaultAudience?: string } | null = null,
  ) {}

  static from(env: IntegrationsEnv): IntegrationsConfig {
    return new IntegrationsConfig(
      env.INTEGRATIONS_BOOTSTRAP_TOKEN ?? null,
      env.PLATFORM_AWS_ACCOUNT_ID,
      env.INTEGRATIONS_VERIFY_TIMEOUT_MS,
      env.INTEGRATIONS_REVERIFY_INTERVAL_S * 1000,
      env.INTEGRATIONS_OUTBOX_INTERVAL_MS,
      env.INTEGRATIONS_RUN_MAX_LIFETIME_S * 1000,
      env.INTEGRATIONS_RUN_SWEEP_INTERVAL_S * 1000,
      env.OIDC_PUBLIC_URL
        ? { publicUrl: env.OIDC_PUBLIC_URL, defaultAudience: env.OIDC_DEFAULT_AUDIENCE }
        : null,
    );
  }
}
