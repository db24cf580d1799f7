/** Explicit AWS credentials: an assumed reader session, or a test's keys. */
export interface AwsClientCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * How audit builds every AWS SDK client that reads a trail (CloudTrail, S3): the region, the
 * endpoint override (`AWS_ENDPOINT_URL`, the aws-emulator; AWS's endpoints when unset), explicit
 * credentials or the SDK's default chain, and no SDK retries: the readers decide every retry
 * (rate budget, next interval), so the SDK must not hide failures behind a second backoff.
 */
export function awsClientConfig(region: string, endpoint: string | undefined, credentials: AwsClientCredentials | undefined) {
  return { region, endpoint, maxAttempts: 1, ...(credentials ? { credentials } : {}) };
}
