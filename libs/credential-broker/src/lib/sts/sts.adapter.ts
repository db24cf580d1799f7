import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  STSClient,
  type Credentials,
} from '@aws-sdk/client-sts';
import { Injectable } from '@nestjs/common';
import { partitionOf, stsEndpoint } from '@runtrail/aws-identity';
import { toStsError } from './sts-error.mapper';

/** Temporary credentials as STS returned them. Held in memory only, for as long as sealing takes. */
export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  assumedRoleArn: string;
}

export interface AssumeRoleInput {
  roleArn: string;
  region: string | null;
  externalId: string;
  sessionName: string;
  /** Omitted unless the integration sends SourceIdentity. */
  sourceIdentity?: string;
  durationSeconds: number;
  tags?: Array<{ Key: string; Value: string }>;
  transitiveTagKeys?: string[];
}

export interface AssumeRoleWithWebIdentityInput {
  roleArn: string;
  region: string | null;
  sessionName: string;
  durationSeconds: number;
  webIdentityToken: string;
}

/**
 * STS as the broker needs it: `AssumeRole` with runtrail's own identity and
 * `AssumeRoleWithWebIdentity`. Errors come out as {@link RuntrailError}s that say whether a retry can help.
 */
export abstract class StsAdapter {
  abstract assumeRole(input: AssumeRoleInput): Promise<TemporaryCredentials>;
  abstract assumeRoleWithWebIdentity(input: AssumeRoleWithWebIdentityInput): Promise<TemporaryCredentials>;
}

/** Where STS is reached: an override (the emulator) or the integration's regional endpoint. */
export interface StsEndpointOptions {
  endpointOverride?: string;
}

/**
 * The AWS SDK behind {@link StsAdapter}. Credentials come from the SDK's default chain (runtrail's
 * own identity); the SDK's own retries are off because the broker retries with its own bound.
 */
@Injectable()
export class AwsStsAdapter extends StsAdapter {
  private readonly clients = new Map<string, STSClient>();

  constructor(private readonly options: StsEndpointOptions) {
    super();
  }

  async assumeRole(input: AssumeRoleInput): Promise<TemporaryCredentials> {
    const client = this.clientFor(input.roleArn, input.region);
    try {
      const out = await client.send(
        new AssumeRoleCommand({
          RoleArn: input.roleArn,
          RoleSessionName: input.sessionName,
          ExternalId: input.externalId,
          SourceIdentity: input.sourceIdentity,
          DurationSeconds: input.durationSeconds,
          Tags: input.tags,
          TransitiveTagKeys: input.transitiveTagKeys,
        }),
      );
      return credentialsOf(out.Credentials, out.AssumedRoleUser?.Arn);
    } catch (error) {
      throw toStsError(error, { action: 'AssumeRole', ...input });
    }
  }

  async assumeRoleWithWebIdentity(input: AssumeRoleWithWebIdentityInput): Promise<TemporaryCredentials> {
    const client = this.clientFor(input.roleArn, input.region);
    try {
      const out = await client.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: input.roleArn,
          RoleSessionName: input.sessionName,
          WebIdentityToken: input.webIdentityToken,
          DurationSeconds: input.durationSeconds,
        }),
      );
      return credentialsOf(out.Credentials, out.AssumedRoleUser?.Arn);
    } catch (error) {
      throw toStsError(error, { action: 'AssumeRoleWithWebIdentity', ...input });
    }
  }

  /** One client per endpoint and region: clients keep their connections alive between calls. */
  private clientFor(roleArn: string, region: string | null): STSClient {
    const endpoint = this.options.endpointOverride ?? stsEndpoint(partitionOf(roleArn), region);
    const signingRegion = region ?? 'us-east-1';
    const key = `${endpoint}|${signingRegion}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new STSClient({ endpoint, region: signingRegion, maxAttempts: 1 });
      this.clients.set(key, client);
    }
    return client;
  }
}

function credentialsOf(
  credentials: Credentials | undefined,
  assumedRoleArn: string | undefined,
): TemporaryCredentials {
  if (
    !credentials?.AccessKeyId ||
    !credentials.SecretAccessKey ||
    !credentials.SessionToken ||
    !credentials.Expiration
  ) {
    throw new Error('STS answered without credentials');
  }
  return {
    accessKeyId: credentials.AccessKeyId,
    secretAccessKey: credentials.SecretAccessKey,
    sessionToken: credentials.SessionToken,
    expiration: credentials.Expiration,
    assumedRoleArn: assumedRoleArn ?? '',
  };
}
