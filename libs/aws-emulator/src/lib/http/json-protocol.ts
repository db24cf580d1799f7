import type { AwsApiError } from './aws-api.error';

const CLOUDTRAIL_NS = 'com.amazonaws.cloudtrail.v20131101';

// JSON services name the Query protocol's authentication errors differently.
const JSON_CODES: Readonly<Record<string, string>> = {
  InvalidClientTokenId: 'UnrecognizedClientException',
  SignatureDoesNotMatch: 'InvalidSignatureException',
  ExpiredToken: 'ExpiredTokenException',
  MissingAuthenticationToken: 'MissingAuthenticationTokenException',
  IncompleteSignature: 'IncompleteSignatureException',
  AccessDenied: 'AccessDeniedException',
  Throttling: 'ThrottlingException',
  InternalFailure: 'InternalFailure',
  ServiceUnavailable: 'ServiceUnavailableException',
};

/** The code a JSON 1.1 client sees for an error. */
export function jsonErrorCode(error: AwsApiError): string {
  return JSON_CODES[error.code] ?? error.code;
}

/** An awsJson1_1 error body: `{"__type": "<ns>#Code", "message": ...}`. */
export function jsonError(error: AwsApiError): string {
  return JSON.stringify({ __type: `${CLOUDTRAIL_NS}#${jsonErrorCode(error)}`, message: error.message });
}

/** The operation named by `X-Amz-Target` (`CloudTrail_20131101.LookupEvents`, or its long form). */
export function jsonTarget(header: string | undefined): { service: 'cloudtrail'; operation: string } | null {
  if (!header) return null;
  const match = /^(?:com\.amazonaws\.cloudtrail\.v20131101\.)?CloudTrail_20131101\.(\w+)$/.exec(header);
  return match ? { service: 'cloudtrail', operation: match[1] } : null;
}
