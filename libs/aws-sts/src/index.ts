export {
  Sts,
  type StsOptions,
  type AssumeRoleInput,
  type AssumeRoleWithWebIdentityInput,
  type TemporaryCredentials,
  type CallerIdentity,
} from './lib/sts.client';
export type { StsCredentials } from './lib/sts-client.cache';
export { StsError, toStsError, isRetryableStsError, type StsCallDescription } from './lib/sts-error.mapper';
export {
  withRetry,
  retryTransient,
  retryBudgetMs,
  type RetryPolicy,
  type BackoffHooks,
  type RetryableOutcome,
  type Retried,
  type RetryTransientOptions,
} from './lib/backoff';
