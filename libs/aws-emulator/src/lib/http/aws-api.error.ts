import type { TrailOverrides } from '../trail/trail-event.types';

/**
 * An error answered to the client in AWS's own shape (Query `ErrorResponse` or JSON `__type`).
 * `code` is AWS's error code (`AccessDenied`, `ValidationError`...); `trail` adjusts the
 * CloudTrail record of the failed call (AWS drops requestParameters of a denied AssumeRole).
 * `recorded: false` marks failures AWS does not log (authentication, throttling).
 */
export class AwsApiError extends Error {
  override readonly name = 'AwsApiError';

  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly options: {
      trail?: TrailOverrides;
      recorded?: boolean;
      sender?: boolean;
      /** S3 errors name what they concern (`<Key>`, `<BucketName>`...) next to Code and Message. */
      s3Resource?: [string, string][];
    } = {},
  ) {
    super(message);
  }

  get recorded(): boolean {
    return this.options.recorded ?? true;
  }
}

/** `1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: ...` */
export function validationError(field: string, value: unknown, constraint: string): AwsApiError {
  const shown = value === undefined || value === null ? 'null' : `'${String(value)}'`;
  return new AwsApiError(
    'ValidationError',
    `1 validation error detected: Value ${shown} at '${field}' failed to satisfy constraint: ${constraint}`,
  );
}

/** Authentication failures: refused before any action runs, never recorded (as in AWS). */
export const authErrors = {
  missing: () =>
    new AwsApiError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403, {
      recorded: false,
    }),
  incomplete: (detail: string) => new AwsApiError('IncompleteSignature', detail, 400, { recorded: false }),
  unknownKey: () =>
    new AwsApiError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403, {
      recorded: false,
    }),
  expiredToken: () =>
    new AwsApiError('ExpiredToken', 'The security token included in the request is expired', 403, {
      recorded: false,
    }),
  badSignature: () =>
    new AwsApiError(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      403,
      { recorded: false },
    ),
  skew: (message: string) => new AwsApiError('SignatureDoesNotMatch', message, 403, { recorded: false }),
};
