import { Sts, type StsCredentials, type TemporaryCredentials } from '@runtrail/aws-sts';
import { trailReaderSessionName, trailSourceExternalId } from '@runtrail/aws-identity';
import { AwsLookupEvents, type LookupEventsSource, type LookupPage } from '../poller/lookup-events.client';
import type { TrailSource } from './trail-source.store';

/** Refresh a reader session this long before it expires (a poll window must never outlive it). */
const REFRESH_BEFORE_MS = 5 * 60_000;
const SESSION_SECONDS = 3600;

/**
 * How audit reaches customers' AWS accounts: `@runtrail/aws-sts` with runtrail's own identity to
 * assume reader roles, and LookupEvents with the assumed sessions. Credentials live in memory only,
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

  destroy(): void {
    this.sts.destroy();
  }
}

/**
 * The reader session of each trail source: assumed with the source's external id and the session
 * name `runtrail-audit@<account>`, kept until five minutes before it expires, then assumed again.
 */
export class ReaderSessions {
  private readonly sessions = new Map<string, { roleArn: string; expiresAt: number; client: AwsLookupEvents }>();

  constructor(
    private readonly aws: Pick<TrailAws, 'sts' | 'lookupWith'>,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A {@link LookupEventsSource} that always signs with a fresh session of the source's reader role;
   * `source` is read at every request, so a PATCHed role is used from the next request on.
   */
  sourceFor(source: TrailSource | (() => TrailSource)): LookupEventsSource {
    const current = typeof source === 'function' ? source : () => source;
    return { lookup: async (input): Promise<LookupPage> => (await this.clientFor(current(), input.region)).lookup(input) };
  }

  private async clientFor(source: TrailSource, region: string): Promise<AwsLookupEvents> {
    const held = this.sessions.get(source.id);
    if (held && held.roleArn === source.roleArn && held.expiresAt - REFRESH_BEFORE_MS > this.now()) return held.client;
    const credentials = await this.aws.sts.assumeRole({
      roleArn: source.roleArn,
      region,
      sessionName: trailReaderSessionName(source.account),
      durationSeconds: SESSION_SECONDS,
      externalId: trailSourceExternalId({ account: source.account, sourceId: source.id }),
    });
    held?.client.close();
    const client = this.aws.lookupWith(credentials);
    this.sessions.set(source.id, { roleArn: source.roleArn, expiresAt: credentials.expiration.getTime(), client });
    return client;
  }

  /** Forgets a removed or changed source's session. */
  drop(sourceId: string): void {
    this.sessions.get(sourceId)?.client.close();
    this.sessions.delete(sourceId);
  }

  close(): void {
    for (const id of [...this.sessions.keys()]) this.drop(id);
  }
}
