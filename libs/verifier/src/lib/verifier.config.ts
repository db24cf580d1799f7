import type { RetryPolicy } from '@runtrail/aws-sts';
import type { VerifierEnv } from './verifier.env';

/** The verifier's settings, derived once from its environment. */
export class VerifierConfig {
  constructor(readonly retry: RetryPolicy) {}

  static from(env: VerifierEnv): VerifierConfig {
    return new VerifierConfig({
      attempts: env.VERIFIER_RETRY_ATTEMPTS,
      baseDelayMs: env.VERIFIER_RETRY_BASE_DELAY_MS,
      maxDelayMs: env.VERIFIER_RETRY_MAX_DELAY_MS,
    });
  }
}
