import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { awsClientConfig, type AwsClientCredentials } from './aws-client.config';

/** One page of LookupEvents: the raw CloudTrail records and the token of the next page. */
export interface LookupPage {
  records: unknown[];
  /** Records whose `CloudTrailEvent` was not JSON (kept aside as bad records). */
  unreadable: Array<{ eventId: string | null; reason: string }>;
  nextToken: string | null;
}

/** The CloudTrail API as the poller uses it (an adapter, so tests and other sources can stand in). */
export interface LookupEventsSource {
  lookup(input: LookupInput): Promise<LookupPage>;
}

/** One LookupEvents request; `maxResults` defaults to 50 (the API's maximum). */
export interface LookupInput {
  region: string;
  start: Date;
  end: Date;
  nextToken: string | null;
  maxResults?: number;
}

/**
 * LookupEvents with the AWS SDK: the default credential chain, an endpoint override for the
 * aws-emulator. The SDK's own retries are off: the poller's rate budget decides every request.
 */
export class AwsLookupEvents implements LookupEventsSource {
  private readonly clients = new Map<string, CloudTrailClient>();

  constructor(
    private readonly endpoint?: string,
    /** Explicit credentials (tests); otherwise the SDK's default chain. */
    private readonly credentials?: AwsClientCredentials,
  ) {}

  async lookup(input: LookupInput): Promise<LookupPage> {
    const out = await this.client(input.region).send(
      new LookupEventsCommand({ StartTime: input.start, EndTime: input.end, MaxResults: input.maxResults ?? 50, NextToken: input.nextToken ?? undefined }),
    );
    const page: LookupPage = { records: [], unreadable: [], nextToken: out.NextToken ?? null };
    for (const e of out.Events ?? []) {
      try {
        page.records.push(JSON.parse(e.CloudTrailEvent ?? ''));
      } catch {
        page.unreadable.push({ eventId: e.EventId ?? null, reason: 'CloudTrailEvent is not JSON' });
      }
    }
    return page;
  }

  private client(region: string): CloudTrailClient {
    let client = this.clients.get(region);
    if (!client) {
      client = new CloudTrailClient(awsClientConfig(region, this.endpoint, this.credentials));
      this.clients.set(region, client);
    }
    return client;
  }

  close(): void {
    for (const client of this.clients.values()) client.destroy();
  }
}
