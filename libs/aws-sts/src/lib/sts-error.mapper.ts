import { RuntrailError, type ErrorCode } from '@runtrail/contracts';

/** The STS actions runtrail calls. */
export type StsAction = 'AssumeRole' | 'AssumeRoleWithWebIdentity' | 'GetCallerIdentity';

/** What was being done when STS refused, for a message a person can act on (no secrets in it). */
export interface StsCallDescription {
  action: StsAction;
  /** The role being assumed; absent for GetCallerIdentity. */
  roleArn?: string;
  region: string | null;
  externalId?: string;
  durationSeconds?: number;
  /** Who called STS, as the message names it: `runtrail` (the platform identity) or `this worker`. */
  principal?: string;
}

/**
 * An STS failure: a {@link RuntrailError} (code deciding retry, actionable message) that also keeps
 * AWS's own error code (`AccessDenied`, `ValidationError`, ...) and its words, with tokens redacted.
 * Neither is serialized: `toJSON` still carries only code and message.
 */
export class StsError extends RuntrailError {
  constructor(
    code: ErrorCode,
    message: string,
    /** AWS's error code, or `NetworkError` when STS was not reached, `NoCredentials` when it answered without. */
    readonly awsCode: string,
    /** AWS's message, shortened, with anything shaped like a token removed. */
    readonly awsMessage: string,
    cause?: unknown,
  ) {
    super(code, message, undefined, { cause });
  }
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
const IDENTITY_REFUSED = new Set([
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
]);
const BAD_PARAMETERS = new Set(['ValidationError', 'MalformedPolicyDocument', 'PackedPolicyTooLarge']);
/** Three base64url segments: a JWT (a web identity token) echoed back in an error message. */
const TOKEN_SHAPED = /[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/g;

/** AWS's words, safe to show: shortened, known secrets and token-shaped strings replaced. */
function redacted(message: string, secrets: readonly string[]): string {
  let safe = message;
  for (const secret of secrets) if (secret) safe = safe.split(secret).join('[redacted]');
  return safe.replace(TOKEN_SHAPED, '[redacted]').slice(0, 300);
}

/**
 * Turns an AWS SDK error into an {@link StsError} whose code decides retry (THROTTLED,
 * UPSTREAM_ERROR, UNAVAILABLE are transient; everything else is permanent) and whose message tells
 * the admin what to change. `secrets` (e.g. the web identity token) never reach the message; a
 * {@link RuntrailError} (e.g. a region in the wrong partition) is passed through unchanged.
 */
export function toStsError(
  error: unknown,
  call: StsCallDescription,
  secrets: readonly string[] = [],
): RuntrailError {
  if (error instanceof RuntrailError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const awsMessage = redacted(e.message ?? '', secrets);
  const where = call.roleArn ? `${call.action} on ${call.roleArn}` : call.action;
  const principal = call.principal ?? 'runtrail';
  const make = (code: ErrorCode, message: string, awsCode = name) =>
    new StsError(code, message, awsCode, awsMessage, error);

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
      `AWS refused ${where}: the role does not exist or its trust policy does not allow ${principal}${externalId} (${awsMessage})`,
    );
  }
  if (
    name === 'ValidationError' &&
    call.durationSeconds !== undefined &&
    /DurationSeconds/i.test(awsMessage)
  ) {
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
  if (BAD_PARAMETERS.has(name))
    return make('VALIDATION_FAILED', `STS refused the parameters of ${where}: ${awsMessage}`);
  if (IDENTITY_REFUSED.has(name)) {
    return make(
      'UNAUTHENTICATED',
      `STS did not accept ${principal}'s AWS credentials (${name}) on ${where}; check the AWS credentials this process runs with (environment, profile or instance role)`,
    );
  }
  if ((status !== undefined && status >= 500) || name === 'InternalFailure' || name === 'ServiceUnavailable')
    return make('UPSTREAM_ERROR', `STS failed (${status ?? name}) on ${where}; retried with backoff`);
  if (NETWORK.has(e.code ?? '') || NETWORK.has(name) || status === undefined)
    return make('UNAVAILABLE', `STS could not be reached for ${where}: ${name}`, 'NetworkError');
  return make('UPSTREAM_ERROR', `STS answered ${name} (${status}) on ${where}: ${awsMessage}`);
}

/**
 * Whether another attempt at the same call may succeed: the one classification of STS failures.
 * Transient codes (throttling, 5xx, STS unreachable) always are. `retryAccessDenied` adds
 * `AccessDenied`, which is also what IAM's eventual consistency looks like for a role or trust
 * policy created moments ago: the verifier retries it, the broker (whose roles were verified
 * earlier) treats a refusal as final.
 */
export function isRetryableStsError(error: unknown, options: { retryAccessDenied?: boolean } = {}): boolean {
  if (!(error instanceof RuntrailError)) return false;
  if (error.transient) return true;
  return options.retryAccessDenied === true && error instanceof StsError && error.awsCode === 'AccessDenied';
}
