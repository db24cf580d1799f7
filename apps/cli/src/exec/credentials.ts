import { retryTransient, Sts, type RetryPolicy } from '@runtrail/aws-sts';
import type { DeliveryPlaintext } from '@runtrail/contracts';

/** Worker mode's own AssumeRole: a few quick retries of throttling and outages, none of refusals. */
const WORKER_STS_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 200, maxDelayMs: 2000, fullJitter: true };

/** Credentials the command uses, in memory only. */
export interface LiveCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  roleArn: string;
  region: string | null;
  /** OIDC mode only: the token the credentials were obtained with (for the SDK's web-identity provider). */
  webIdentityToken?: string;
}

/**
 * Turns an opened delivery into credentials. In worker mode the worker assumes the role itself,
 * with its own ambient AWS identity (the SDK's default chain of this process), using the
 * parameters the broker chose (external id, session name, duration, and the source identity only
 * where the integration sends one: without it the plaintext has none and none is sent).
 */
export async function credentialsOf(
  plaintext: DeliveryPlaintext,
  awsEndpointUrl: string | undefined,
): Promise<LiveCredentials> {
  if (plaintext.mode !== 'worker') {
    return {
      accessKeyId: plaintext.accessKeyId,
      secretAccessKey: plaintext.secretAccessKey,
      sessionToken: plaintext.sessionToken,
      expiration: new Date(plaintext.expiration),
      roleArn: plaintext.mode === 'oidc' ? plaintext.roleArn : plaintext.assumedRoleArn,
      region: plaintext.region,
      webIdentityToken: plaintext.mode === 'oidc' ? plaintext.webIdentityToken : undefined,
    };
  }
  // The worker's own identity, at the role partition's endpoint (or AWS_ENDPOINT_URL). A refusal
  // names the role, "this worker" and AWS's reason, never a key.
  const sts = new Sts({ endpointOverride: awsEndpointUrl, principal: 'this worker' });
  try {
    const c = await retryTransient(WORKER_STS_RETRY, () =>
      sts.assumeRole({
        roleArn: plaintext.roleArn,
        region: plaintext.region,
        externalId: plaintext.externalId,
        sessionName: plaintext.sessionName,
        sourceIdentity: plaintext.sourceIdentity,
        durationSeconds: plaintext.durationSeconds,
      }),
    );
    return {
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      sessionToken: c.sessionToken,
      expiration: c.expiration,
      roleArn: c.assumedRoleArn || plaintext.roleArn,
      region: plaintext.region,
    };
  } finally {
    sts.destroy();
  }
}
