import { toStsError } from './sts-error.mapper';

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
    ['AccessDenied', 403, 'ACCESS_DENIED', false],
    ['RegionDisabledException', 403, 'FORBIDDEN', false],
    ['ValidationError', 400, 'VALIDATION_FAILED', false],
  ])('%s (%i) is %s, transient: %p', (name, status, code, transient) => {
    const error = toStsError(sdkError(name, status), CALL);
    expect({ code: error.code, transient: error.transient }).toEqual({ code, transient });
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
    expect({ code: error.code, transient: error.transient }).toEqual({
      code: 'UNAVAILABLE',
      transient: true,
    });
  });
});
