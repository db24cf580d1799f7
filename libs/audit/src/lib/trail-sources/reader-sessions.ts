import { Sts, type StsCredentials, type TemporaryCredentials } from '@runtrail/aws-sts';
import { trailReaderSessionName, trailSourceExternalId } from '@runtrail/aws-identity';
import { AwsLookupEvents, type LookupEventsSource, type LookupPage } from '../poller/lookup-events.client';
import { AwsTrailBucket, type TrailBucketSource } from '../poller/trail-bucket.client';
import type { TrailSource } from './trail-source.store';

/** Refresh a reader session this long before it expires (a poll window must never outlive it). */
const REFRESH_BEFORE_MS = 5 * 60_000;
const SESSION_SECONDS = 3600;

/**
 * How audit reaches customers' AWS accounts: `@runtrail/aws-sts` with runtrail's own identity to
 * assume reader roles, and LookupEvents and S3 with the assumed sessions. Credentials live in memory only,
 * inside this class and the SDK clients it builds; nothing here logs or returns a secret.
 */
export class TrailAws {
  readonly sts: Sts;

  constructor(
    /** `AWS_ENDPOINT_URL` (the aws-emulator), or AWS's endpoints when unset. */
    readonly endpoint: string | undefined,
    /** runtrail's own identity; unset: the SDK's default chain (production). A test seam. */
    credentials?: StsCredentials,
  ) {
    this.sts = new Sts({ endpointOverride: endpoint, credentials });
  }

  /** LookupEvents signed with `credentials` (an assumed reader session). */
  lookupWith(credentials: TemporaryCredentials): AwsLookupEvents {
    const { accessKeyId, secretAccessKey, sessionToken } = credentials;
    return new AwsLookupEvents(this.endpoint, { accessKeyId, secretAccessKey, sessionToken });
  }

  /** S3 (the trail bucket) signed with `credentials` (an assumed reader session). */
  bucketWith(credentials: TemporaryCredentials): AwsTrailBucket {
    const { accessKeyId, secretAccessKey, sessionToken } = credentials;
    return new AwsTrailBucket(this.endpoint, { accessKeyId, secretAccessKey, sessionToken });
  }

  destroy(): void {
    this.sts.destroy();
  }
}

/** One source's assumed session and the clients signing with it (built when first needed). */
interface HeldSession {
  roleArn: string;
  expiresAt: number;
  credentials: TemporaryCredentials;
  lookup: AwsLookupEvents | null;
  bucket: AwsTrailBucket | null;
}

/**
 * The reader session of each trail source: assumed with the source's external id and the session
 * name `runtrail-audit@<account>`, kept until five minutes before it expires, then assumed again.
 * LookupEvents and S3 share it, so a source costs one AssumeRole an hour whichever it reads.
 */
export class ReaderSessions {
  private readonly sessions = new Map<string, HeldSession>();

  constructor(
    private readonly aws: Pick<TrailAws, 'sts' | 'lookupWith' | 'bucketWith'>,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A {@link LookupEventsSource} that always signs with a fresh session of the source's reader role;
   * `source` is read at every request, so a PATCHed role is used from the next request on.
   */
  sourceFor(source: TrailSource | (() => TrailSource)): LookupEventsSource {
    const current = typeof source === 'function' ? source : () => source;
    return {
      lookup: async (input): Promise<LookupPage> => {
        const held = await this.sessionFor(current(), input.region);
        held.lookup ??= this.aws.lookupWith(held.credentials);
        return held.lookup.lookup(input);
      },
    };
  }

  /** The source's trail bucket through S3, signed like {@link sourceFor} (a fresh session, the current role). */
  bucketFor(source: TrailSource | (() => TrailSource)): TrailBucketSource {
    const current = typeof source === 'function' ? source : () => source;
    const client = async (region: string) => {
      const held = await this.sessionFor(current(), region);
      held.bucket ??= this.aws.bucketWith(held.credentials);
      return held.bucket;
    };
    return {
      list: async (input) => (await client(input.region)).list(input),
      open: async (input) => (await client(input.region)).open(input),
    };
  }

  private async sessionFor(source: TrailSource, region: string): Promise<HeldSession> {
    const held = this.sessions.get(source.id);
    if (held && held.roleArn === source.roleArn && held.expiresAt - REFRESH_BEFORE_MS > this.now()) return held;
    const credentials = await this.aws.sts.assumeRole({
      roleArn: source.roleArn,
      region,
      sessionName: trailReaderSessionName(source.account),
      durationSeconds: SESSION_SECONDS,
      externalId: trailSourceExternalId({ account: source.account, sourceId: source.id }),
    });
    if (held) closeClients(held);
    const fresh: HeldSession = { roleArn: source.roleArn, expiresAt: credentials.expiration.getTime(), credentials, lookup: null, bucket: null };
    this.sessions.set(source.id, fresh);
    return fresh;
  }

  /** Forgets a removed or changed source's session. */
  drop(sourceId: string): void {
    const held = this.sessions.get(sourceId);
    if (held) closeClients(held);
    this.sessions.delete(sourceId);
  }

  close(): void {
    for (const id of [...this.sessions.keys()]) this.drop(id);
  }
}

function closeClients(held: HeldSession): void {
  held.lookup?.close();
  held.bucket?.close();
}
