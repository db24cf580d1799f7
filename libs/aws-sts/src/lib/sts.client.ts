import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  GetCallerIdentityCommand,
  type Credentials,
} from '@aws-sdk/client-sts';
import { partitionOf, partitionOfRegion } from '@runtrail/aws-identity';
import type { RuntrailError } from '@runtrail/contracts';
import { StsClientCache, type StsClientOptions } from './sts-client.cache';
import { runtrailCounter } from '@runtrail/telemetry';
import { StsError, toStsError } from './sts-error.mapper';

export interface StsOptions extends StsClientOptions {
  /** Who calls STS, as error messages name it: `runtrail` (default, the platform identity) or `this worker`. */
  principal?: string;
}

/** Temporary credentials as STS returned them. Hold them in memory only, for as short as you can. */
export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  assumedRoleArn: string;
}

export interface AssumeRoleInput {
  roleArn: string;
  /** Where STS is called; null: the partition's default endpoint. */
  region: string | null;
  sessionName: string;
  durationSeconds: number;
  externalId?: string;
  /** Omitted unless the integration sends SourceIdentity (the trust policy must allow sts:SetSourceIdentity). */
  sourceIdentity?: string;
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

/** Who the calling credentials belong to. */
export interface CallerIdentity {
  account: string;
  arn: string;
  userId: string;
}

/**
 * STS for every runtrail service and the CLI: partition- and region-aware endpoints (from the role
 * ARN), one cached client per endpoint, no SDK retries, and failures thrown as {@link StsError}s
 * that say whether a retry can help and what to change (never a secret). Retrying is the caller's:
 * see `retryTransient` and `withRetry`.
 */
export class Sts {
  private readonly clients: StsClientCache;

  constructor(private readonly options: StsOptions = {}) {
    this.clients = new StsClientCache(options);
  }

  /** `AssumeRole` with the calling identity. */
  async assumeRole(input: AssumeRoleInput): Promise<TemporaryCredentials> {
    const call = { action: 'AssumeRole' as const, principal: this.options.principal, ...input };
    try {
      const out = await this.clients.clientFor(partitionOf(input.roleArn), input.region).send(
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
      return credentialsOf(out.Credentials, out.AssumedRoleUser?.Arn, input.roleArn);
    } catch (error) {
      throw counted(toStsError(error, call), call.action);
    }
  }

  /** `AssumeRoleWithWebIdentity` (unsigned: the token is the proof). */
  async assumeRoleWithWebIdentity(input: AssumeRoleWithWebIdentityInput): Promise<TemporaryCredentials> {
    const { webIdentityToken, ...described } = input;
    const call = {
      action: 'AssumeRoleWithWebIdentity' as const,
      principal: this.options.principal,
      ...described,
    };
    try {
      const out = await this.clients.clientFor(partitionOf(input.roleArn), input.region).send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: input.roleArn,
          RoleSessionName: input.sessionName,
          WebIdentityToken: webIdentityToken,
          DurationSeconds: input.durationSeconds,
        }),
      );
      return credentialsOf(out.Credentials, out.AssumedRoleUser?.Arn, input.roleArn);
    } catch (error) {
      throw counted(toStsError(error, call, [webIdentityToken]), call.action);
    }
  }

  /**
   * `GetCallerIdentity` of the calling identity, at `region`'s endpoint in its partition (null:
   * the commercial partition's global endpoint).
   */
  async getCallerIdentity(region: string | null = null): Promise<CallerIdentity> {
    const call = { action: 'GetCallerIdentity' as const, principal: this.options.principal, region };
    try {
      const partition = region === null ? 'aws' : partitionOfRegion(region);
      const out = await this.clients.clientFor(partition, region).send(new GetCallerIdentityCommand({}));
      return { account: out.Account ?? '', arn: out.Arn ?? '', userId: out.UserId ?? '' };
    } catch (error) {
      throw counted(toStsError(error, call), call.action);
    }
  }

  /** Closes the cached clients' connections. */
  destroy(): void {
    this.clients.destroy();
  }
}

/** Counts the failure in `runtrail.sts.errors` (action, AWS code, runtrail code: never a message). */
function counted(error: RuntrailError, action: string): RuntrailError {
  const awsCode = error instanceof StsError ? error.awsCode : 'runtrail';
  runtrailCounter('stsErrors').add(1, { 'rpc.method': action, 'error.type': awsCode, 'runtrail.error.code': error.code });
  return error;
}

function credentialsOf(
  credentials: Credentials | undefined,
  assumedRoleArn: string | undefined,
  roleArn: string,
): TemporaryCredentials {
  if (
    !credentials?.AccessKeyId ||
    !credentials.SecretAccessKey ||
    !credentials.SessionToken ||
    !credentials.Expiration
  ) {
    throw new StsError(
      'INTERNAL',
      `STS answered for ${roleArn} without credentials`,
      'NoCredentials',
      'STS answered without credentials',
    );
  }
  return {
    accessKeyId: credentials.AccessKeyId,
    secretAccessKey: credentials.SecretAccessKey,
    sessionToken: credentials.SessionToken,
    expiration: credentials.Expiration,
    assumedRoleArn: assumedRoleArn ?? '',
  };
}
