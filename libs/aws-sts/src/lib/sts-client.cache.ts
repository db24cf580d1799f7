import { STSClient } from '@aws-sdk/client-sts';
import { stsEndpoint, type Partition } from '@runtrail/aws-identity';

/** Explicit AWS credentials: a seam for tests and the emulator. */
export interface StsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** How every STS client is made. */
export interface StsClientOptions {
  /** One endpoint for every call (`AWS_ENDPOINT_URL`, e.g. the aws-emulator) instead of AWS's. */
  endpointOverride?: string;
  /** Default: the SDK's default chain (environment, profile, container or instance role). */
  credentials?: StsCredentials;
}

/**
 * One SDK client per endpoint and signing region, kept so that connections stay alive between
 * calls. The SDK's own retries are off (`maxAttempts: 1`): callers retry with one backoff of their
 * own (see `withRetry`), and the SDK must not hide failures behind a second one.
 *
 * Per call, the cost is the SDK's (signing, HTTP, XML): the client for a partition and region is
 * looked up, not resolved again, and each client resolves its middleware stack once per command
 * type (`cacheMiddleware`; no runtrail code adds middleware per call).
 */
export class StsClientCache {
  private readonly clients = new Map<string, STSClient>();
  /** `partition|region` -> its client, once the region was checked against the partition. */
  private readonly resolved = new Map<string, STSClient>();

  constructor(private readonly options: StsClientOptions) {}

  /**
   * The client for STS in `partition`: the regional endpoint of `region`, or the partition's
   * default endpoint (the global one in `aws`) when there is none. The region is checked against
   * the partition even when the endpoint is overridden, so that the emulator sees what AWS would.
   *
   * @throws RuntrailError `VALIDATION_FAILED` when the region is malformed or in another partition.
   */
  clientFor(partition: Partition, region: string | null): STSClient {
    const target = `${partition}|${region ?? ''}`;
    let client = this.resolved.get(target);
    if (!client) {
      client = this.create(partition, region);
      this.resolved.set(target, client);
    }
    return client;
  }

  private create(partition: Partition, region: string | null): STSClient {
    const regional = stsEndpoint(partition, region);
    const endpoint = this.options.endpointOverride ?? regional;
    const signingRegion = region ?? regionOf(regional);
    const key = `${endpoint}|${signingRegion}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new STSClient({
        endpoint,
        region: signingRegion,
        maxAttempts: 1,
        cacheMiddleware: true,
        ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
      });
      this.clients.set(key, client);
    }
    return client;
  }

  destroy(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
    this.resolved.clear();
  }
}

/** The region an STS endpoint signs for: the one in its host, `us-east-1` for the global endpoint. */
function regionOf(endpoint: string): string {
  return /^https:\/\/sts\.([a-z0-9-]+)\.amazonaws\.com/.exec(endpoint)?.[1] ?? 'us-east-1';
}
