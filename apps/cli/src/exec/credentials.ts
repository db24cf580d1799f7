import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { DeliveryPlaintext } from '@runtrail/contracts';

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
 * parameters the broker chose (external id, session name, source identity, duration).
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
  const sts = new STSClient({ endpoint: awsEndpointUrl, region: plaintext.region ?? 'us-east-1' });
  try {
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: plaintext.roleArn,
        ExternalId: plaintext.externalId,
        RoleSessionName: plaintext.sessionName,
        SourceIdentity: plaintext.sourceIdentity,
        DurationSeconds: plaintext.durationSeconds,
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration)
      throw new Error('STS answered without credentials');
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
      roleArn: out.AssumedRoleUser?.Arn ?? plaintext.roleArn,
      region: plaintext.region,
    };
  } catch (error) {
    // The worker's own identity: the message names the role and AWS's reason, never a key.
    throw new Error(
      `worker-mode AssumeRole of ${plaintext.roleArn} with this worker's AWS identity failed: ${(error as Error).name}: ${(error as Error).message}`,
    );
  } finally {
    sts.destroy();
  }
}
