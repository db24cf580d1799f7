import { RuntrailError } from '@runtrail/contracts';
import { isRetryableStsError, StsError, toStsError } from './sts-error.mapper';

const CALL = {
  action: 'AssumeRole' as const,
  roleArn: 'arn:aws:iam::222222222222:role/deploy',
  region: 'eu-west-1',
  externalId: 'acme@01HZY1V6QK3M7W3X9T2B5C8D4E@network@write',
  durationSeconds: 7200,
};
const sdkError = (name: string, status: number, message = '') =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

describe('toStsError', () => {
  it.each([
    ['Throttling', 400, 'THROTTLED', true],
    ['ServiceUnavailable', 503, 'UPSTREAM_ERROR', true],
    ['InternalFailure', 500, 'UPSTREAM_ERROR', true],
    ['IDPCommunicationError', 400, 'UPSTREAM_ERROR', true],
    ['AccessDenied', 403, 'ACCESS_DENIED', false],
    ['InvalidIdentityToken', 400, 'ACCESS_DENIED', false],
    ['RegionDisabledException', 403, 'FORBIDDEN', false],
    ['ValidationError', 400, 'VALIDATION_FAILED', false],
    ['InvalidClientTokenId', 403, 'UNAUTHENTICATED', false],
  ])('%s (%i) is %s, transient: %p', (name, status, code, transient) => {
    const error = toStsError(sdkError(name, status), CALL);
    expect({ code: error.code, transient: error.transient }).toEqual({ code, transient });
  });

  it("keeps AWS's code and words beside runtrail's message", () => {
    const error = toStsError(sdkError('AccessDenied', 403, 'not authorized'), CALL);
    expect(error).toBeInstanceOf(StsError);
    expect(error).toMatchObject({ awsCode: 'AccessDenied', awsMessage: 'not authorized' });
    expect(error.toJSON()).toEqual({ code: 'ACCESS_DENIED', message: error.message });
  });

  it('says what to change when the trust policy refuses', () => {
    const error = toStsError(
      sdkError('AccessDenied', 403, 'User: x is not authorized to perform: sts:AssumeRole'),
      CALL,
    );
    expect(error.message).toBe(
      'AWS refused AssumeRole on arn:aws:iam::222222222222:role/deploy: the role does not exist or its trust policy does not allow runtrail with sts:ExternalId "acme@01HZY1V6QK3M7W3X9T2B5C8D4E@network@write" (User: x is not authorized to perform: sts:AssumeRole)',
    );
  });

  it('names who was refused: the worker in worker mode', () => {
    const call = { ...CALL, principal: 'this worker' };
    expect(toStsError(sdkError('AccessDenied', 403), call).message).toContain(
      'its trust policy does not allow this worker with sts:ExternalId',
    );
    expect(toStsError(sdkError('InvalidClientTokenId', 403), call).message).toContain(
      "STS did not accept this worker's AWS credentials (InvalidClientTokenId)",
    );
  });

  it("names the duration and the role's maximum when the duration is too long", () => {
    const message =
      '1 validation error detected: The requested DurationSeconds exceeds the MaxSessionDuration set for this role.';
    expect(toStsError(sdkError('ValidationError', 400, message), CALL).message).toContain(
      "the integration's duration 7200 s is above the role's maximum session duration; lower the integration's duration or raise the role's MaxSessionDuration",
    );
  });

  it('names the region to activate', () => {
    expect(toStsError(sdkError('RegionDisabledException', 403), CALL).message).toContain(
      'STS is not activated in region eu-west-1',
    );
  });

  it('treats an unreachable STS as unavailable (retried)', () => {
    const error = toStsError(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      CALL,
    );
    expect({ code: error.code, transient: error.transient, awsCode: (error as StsError).awsCode }).toEqual({
      code: 'UNAVAILABLE',
      transient: true,
      awsCode: 'NetworkError',
    });
  });

  it('never repeats a web identity token, even when AWS echoes it', () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzcGFjZTpyb290In0.c2lnbmF0dXJlLWJ5dGVz';
    const error = toStsError(
      sdkError('InvalidIdentityToken', 400, `Couldn't parse ${token} or opaque-${'s3cr3t'}`),
      { ...CALL, action: 'AssumeRoleWithWebIdentity' },
      ['opaque-s3cr3t'],
    ) as StsError;
    expect(error.message).not.toContain(token);
    expect(error.message).not.toContain('s3cr3t');
    expect(error.awsMessage).toBe("Couldn't parse [redacted] or [redacted]");
  });

  it('passes a RuntrailError through (a region in the wrong partition is not an outage)', () => {
    const invalid = new RuntrailError('VALIDATION_FAILED', 'region: cn-north-1 is in partition aws-cn');
    expect(toStsError(invalid, CALL)).toBe(invalid);
  });
});

describe('isRetryableStsError', () => {
  const denied = toStsError(sdkError('AccessDenied', 403), CALL);
  const throttled = toStsError(sdkError('Throttling', 400), CALL);
  const invalid = toStsError(sdkError('ValidationError', 400), CALL);

  it('retries transient failures only, by default (the broker)', () => {
    expect([throttled, denied, invalid, new Error('bug')].map((e) => isRetryableStsError(e))).toEqual([
      true,
      false,
      false,
      false,
    ]);
  });

  it('also retries AccessDenied when asked to wait out IAM eventual consistency (the verifier)', () => {
    const options = { retryAccessDenied: true };
    expect([throttled, denied, invalid].map((e) => isRetryableStsError(e, options))).toEqual([
      true,
      true,
      false,
    ]);
  });
});
