import { AwsApiError } from '../http/aws-api.error';

const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export function xmlEscape(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`,
  );
}

/** `<name>value</name>` for each defined field, in order. */
export function xmlFields(fields: [string, string | number | boolean | undefined][]): string {
  return fields
    .filter(([, v]) => v !== undefined)
    .map(([name, v]) => `<${name}>${xmlEscape(String(v))}</${name}>`)
    .join('');
}

export function s3Document(root: string, inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_NS}">${inner}</${root}>`;
}

/** S3's `<Error>` body: Code, Message, the resource it concerns, RequestId and HostId. */
export function s3ErrorXml(error: AwsApiError, requestId: string): string {
  const extra = error.options.s3Resource ?? [];
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${xmlFields([
    ['Code', error.code],
    ['Message', error.message],
    ...extra,
    ['RequestId', requestId],
    ['HostId', hostId(requestId)],
  ])}</Error>`;
}

/** S3's `x-amz-id-2`: opaque, here derived from the request id. */
export function hostId(requestId: string): string {
  return Buffer.from(requestId).toString('base64');
}

/** S3's errors, with its codes and wording. */
export const s3Errors = {
  noSuchBucket: (bucket: string) =>
    new AwsApiError('NoSuchBucket', 'The specified bucket does not exist', 404, {
      s3Resource: [['BucketName', bucket]],
    }),
  noSuchKey: (key: string) =>
    new AwsApiError('NoSuchKey', 'The specified key does not exist.', 404, { s3Resource: [['Key', key]] }),
  accessDenied: (message = 'Access Denied') => new AwsApiError('AccessDenied', message, 403),
  invalidArgument: (message: string, name: string, value: string) =>
    new AwsApiError('InvalidArgument', message, 400, {
      s3Resource: [
        ['ArgumentName', name],
        ['ArgumentValue', value],
      ],
    }),
  notImplemented: (what: string) =>
    new AwsApiError(
      'NotImplemented',
      `A header or query you provided implies functionality that is not implemented: ${what}`,
      501,
    ),
};

/** The same authentication failures as STS, under the codes S3 answers them with. */
export function s3AuthError(error: AwsApiError): AwsApiError {
  switch (error.code) {
    case 'MissingAuthenticationToken':
      return s3Errors.accessDenied();
    case 'IncompleteSignature':
      return new AwsApiError('AuthorizationHeaderMalformed', error.message, 400);
    case 'InvalidClientTokenId':
      return new AwsApiError(
        'InvalidAccessKeyId',
        'The AWS Access Key Id you provided does not exist in our records.',
        403,
      );
    case 'ExpiredToken':
      return new AwsApiError('ExpiredToken', 'The provided token has expired.', 400);
    case 'SignatureDoesNotMatch':
      return error.message.startsWith('Signature ')
        ? new AwsApiError(
            'RequestTimeTooSkewed',
            'The difference between the request time and the current time is too large.',
            403,
          )
        : new AwsApiError(
            'SignatureDoesNotMatch',
            'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
            403,
          );
    default:
      return error;
  }
}
