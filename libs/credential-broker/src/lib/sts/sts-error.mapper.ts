import { RuntrailError, type ErrorCode } from '@runtrail/contracts';

/** What was being done when STS refused, for a message a person can act on (no secrets in it). */
export interface StsCallDescription {
  action: 'AssumeRole' | 'AssumeRoleWithWebIdentity';
  roleArn: string;
  region: string | null;
  externalId?: string;
  durationSeconds: number;
}

interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'PriorRequestNotComplete',
]);
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'TimeoutError',
]);

/**
 * Turns an AWS SDK error into a {@link RuntrailError} whose code decides retry (THROTTLED,
 * UPSTREAM_ERROR, UNAVAILABLE are transient) and whose message tells the admin what to change.
 */
export function toStsError(error: unknown, call: StsCallDescription): RuntrailError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const awsMessage = (e.message ?? '').slice(0, 300);
  const where = `${call.action} on ${call.roleArn}`;
  const make = (code: ErrorCode, message: string) =>
    new RuntrailError(code, message, undefined, { cause: error });

  if (THROTTLING.has(name) || status === 429)
    return make('THROTTLED', `STS throttled ${where}; retried with backoff`);
  if (name === 'RegionDisabledException') {
    return make(
      'FORBIDDEN',
      `STS is not activated in region ${call.region ?? 'us-east-1'} for the role's account; activate the region in IAM account settings or set another region on the integration (${where})`,
    );
  }
  if (name === 'AccessDenied' || name === 'AccessDeniedException') {
    const externalId = call.externalId ? ` with sts:ExternalId "${call.externalId}"` : '';
    return make(
      'ACCESS_DENIED',
      `AWS refused ${where}: the role does not exist or its trust policy does not allow runtrail${externalId} (${awsMessage})`,
    );
  }
  if (name === 'ValidationError' && /DurationSeconds/i.test(awsMessage)) {
    return make(
      'VALIDATION_FAILED',
      `the integration's duration ${call.durationSeconds} s is above the role's maximum session duration; lower the integration's duration or raise the role's MaxSessionDuration (${awsMessage})`,
    );
  }
  if (
    name === 'InvalidIdentityToken' ||
    name === 'IDPCommunicationError' ||
    name === 'ExpiredTokenException'
  ) {
    return make(
      name === 'IDPCommunicationError' ? 'UPSTREAM_ERROR' : 'ACCESS_DENIED',
      `AWS did not accept runtrail's OIDC token for ${where}: ${name}: ${awsMessage}. Check the role account's OIDC provider for runtrail's issuer and its audience`,
    );
  }
  if (name === 'ValidationError' || name === 'MalformedPolicyDocument' || name === 'PackedPolicyTooLarge') {
    return make('VALIDATION_FAILED', `STS refused the parameters of ${where}: ${awsMessage}`);
  }
  if (
    name === 'InvalidClientTokenId' ||
    name === 'SignatureDoesNotMatch' ||
    name === 'UnrecognizedClientException'
  ) {
    return make(
      'UNAUTHENTICATED',
      `runtrail's own AWS identity was refused by STS (${name}); check the broker's AWS credentials`,
    );
  }
  if (
    (status !== undefined && status >= 500) ||
    name === 'InternalFailure' ||
    name === 'ServiceUnavailable'
  ) {
    return make('UPSTREAM_ERROR', `STS failed (${status ?? name}) on ${where}; retried with backoff`);
  }
  if (NETWORK.has(e.code ?? '') || NETWORK.has(name) || status === undefined) {
    return make('UNAVAILABLE', `STS could not be reached for ${where}: ${name}`);
  }
  return make('UPSTREAM_ERROR', `STS answered ${name} (${status}) on ${where}: ${awsMessage}`);
}
