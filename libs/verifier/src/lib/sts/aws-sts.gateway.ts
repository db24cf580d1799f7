import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  GetCallerIdentityCommand,
  STSClient,
  STSServiceException,
} from '@aws-sdk/client-sts';
import { partitionOf, stsEndpoint } from '@runtrail/aws-identity';
import type { AssumeOutcome, AssumeRoleInput, StsGateway, WebIdentityInput } from './sts.gateway';

/** Codes worth another attempt: IAM not yet consistent (a new role or policy looks like AccessDenied), throttling, outages. */
const RETRYABLE = new Set([
  'AccessDenied',
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'InternalFailure',
  'IDPCommunicationError',
]);

/**
 * {@link StsGateway} on the AWS SDK with the default credential chain (runtrail's own identity).
 * `endpointOverride` (AWS_ENDPOINT_URL) points every call at one endpoint, e.g. the aws-emulator.
 */
export class AwsStsGateway implements StsGateway {
  private readonly clients = new Map<string, STSClient>();
  private account: Promise<string> | null = null;

  /** `credentials`: a seam for tests; production leaves it to the default credential chain. */
  constructor(
    private readonly endpointOverride: string | undefined,
    private readonly defaultRegion: string,
    private readonly credentials?: { accessKeyId: string; secretAccessKey: string },
  ) {}

  async assumeRole(input: AssumeRoleInput): Promise<AssumeOutcome> {
    const command = new AssumeRoleCommand({
      RoleArn: input.roleArn,
      RoleSessionName: input.sessionName,
      DurationSeconds: input.durationSeconds,
      ExternalId: input.externalId,
      SourceIdentity: input.sourceIdentity,
      Tags: input.tags,
    });
    return this.outcomeOf(() => this.clientFor(input.roleArn, input.region).send(command));
  }

  async assumeRoleWithWebIdentity(input: WebIdentityInput): Promise<AssumeOutcome> {
    const command = new AssumeRoleWithWebIdentityCommand({
      RoleArn: input.roleArn,
      RoleSessionName: input.sessionName,
      DurationSeconds: input.durationSeconds,
      WebIdentityToken: input.token,
    });
    return this.outcomeOf(() => this.clientFor(input.roleArn, input.region).send(command));
  }

  platformAccountId(): Promise<string> {
    this.account ??= this.client(this.endpointOverride ?? 'https://sts.amazonaws.com', this.defaultRegion)
      .send(new GetCallerIdentityCommand({}))
      .then((identity) => identity.Account ?? '')
      .catch((error: unknown) => {
        this.account = null;
        throw error;
      });
    return this.account;
  }

  /** Runs the call and keeps only whether it worked: the response (with its credentials) is dropped here. */
  private async outcomeOf(call: () => Promise<{ Credentials?: unknown }>): Promise<AssumeOutcome> {
    try {
      const response = await call();
      return response.Credentials
        ? { ok: true }
        : { ok: false, code: 'NoCredentials', message: 'STS answered without credentials', retryable: false };
    } catch (error) {
      if (error instanceof STSServiceException) {
        const code = error.name;
        const retryable = RETRYABLE.has(code) || (error.$metadata.httpStatusCode ?? 0) >= 500;
        return { ok: false, code, message: error.message, retryable };
      }
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, code: 'NetworkError', message, retryable: true };
    }
  }

  private clientFor(roleArn: string, region: string | null): STSClient {
    const endpoint = this.endpointOverride ?? stsEndpoint(partitionOf(roleArn), region);
    return this.client(endpoint, region ?? this.defaultRegion);
  }

  private client(endpoint: string, region: string): STSClient {
    const key = `${endpoint}|${region}`;
    let client = this.clients.get(key);
    if (!client) {
      // The verifier does its own backoff, so the SDK must not hide failures behind retries.
      client = new STSClient({
        endpoint,
        region,
        maxAttempts: 1,
        ...(this.credentials ? { credentials: this.credentials } : {}),
      });
      this.clients.set(key, client);
    }
    return client;
  }

  destroy(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }
}
