import { startTestEmulator, type AwsEmulator } from '@runtrail/testing';
import { retryTransient } from './backoff';
import { isRetryableStsError, StsError } from './sts-error.mapper';
import { Sts } from './sts.client';

/** The embedded default seed: runtrail's identity and a customer role trusting it for `acme@*` external ids. */
const PLATFORM = {
  accessKeyId: 'AKIA1111RUNTRAIL0001',
  secretAccessKey: 'runtrail-platform-local-secret-not-a-real-key',
};
const ROLE = 'arn:aws:iam::222222222222:role/runtrail-demo';
const ASSUME = {
  roleArn: ROLE,
  region: null,
  sessionName: 'sts-lib-spec',
  durationSeconds: 900,
  externalId: 'acme@int@network@read',
};

async function failureOf(call: Promise<unknown>): Promise<StsError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StsError);
  return error as StsError;
}

describe('Sts against the aws-emulator (real SigV4, trust policies and STS wire protocol)', () => {
  let emulator: AwsEmulator;
  let sts: Sts;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    sts = new Sts({ endpointOverride: emulator.endpoint, credentials: PLATFORM });
  });

  afterAll(async () => {
    sts?.destroy();
    await emulator?.stop();
  });

  it('assumes a role with the external id its trust policy requires', async () => {
    const creds = await sts.assumeRole(ASSUME);
    expect(creds.assumedRoleArn).toBe('arn:aws:sts::222222222222:assumed-role/runtrail-demo/sts-lib-spec');
    expect(creds.expiration.getTime()).toBeGreaterThan(Date.now());
  });

  it('says who the caller is', async () => {
    expect(await sts.getCallerIdentity('eu-west-1')).toMatchObject({
      account: '111111111111',
      arn: 'arn:aws:iam::111111111111:user/runtrail',
    });
  });

  it('refuses without the external id: permanent for the broker, worth waiting out for the verifier', async () => {
    const { externalId: _omitted, ...withoutId } = ASSUME;
    const error = await failureOf(sts.assumeRole(withoutId));
    expect({ code: error.code, awsCode: error.awsCode }).toEqual({
      code: 'ACCESS_DENIED',
      awsCode: 'AccessDenied',
    });
    expect(error.message).toContain(
      `AWS refused AssumeRole on ${ROLE}: the role does not exist or its trust policy`,
    );
    expect(isRetryableStsError(error)).toBe(false);
    expect(isRetryableStsError(error, { retryAccessDenied: true })).toBe(true);
  });

  it("names the role's maximum when the duration is above it", async () => {
    const error = await failureOf(sts.assumeRole({ ...ASSUME, durationSeconds: 7200 }));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain(
      "the integration's duration 7200 s is above the role's maximum session duration",
    );
  });

  it('tells a refused identity from a refused role, without repeating its secret', async () => {
    const wrong = new Sts({
      endpointOverride: emulator.endpoint,
      credentials: { ...PLATFORM, secretAccessKey: 'not-the-secret-key-of-this-user' },
      principal: 'this worker',
    });
    const error = await failureOf(wrong.assumeRole(ASSUME));
    wrong.destroy();
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.message).toContain("STS did not accept this worker's AWS credentials");
    expect(error.message).not.toContain('not-the-secret-key-of-this-user');
  });

  it('reports an unreachable STS as transient, after retrying', async () => {
    const nowhere = new Sts({ endpointOverride: 'http://127.0.0.1:9', credentials: PLATFORM });
    let calls = 0;
    const error = await failureOf(
      retryTransient({ attempts: 3, baseDelayMs: 1, maxDelayMs: 1 }, () => {
        calls += 1;
        return nowhere.assumeRole(ASSUME);
      }),
    );
    nowhere.destroy();
    expect({ code: error.code, transient: error.transient, calls }).toEqual({
      code: 'UNAVAILABLE',
      transient: true,
      calls: 3,
    });
  });
});
