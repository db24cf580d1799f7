import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { awsClientConfig, type AwsClientCredentials } from './aws-client.config';

/** One object of a listing. */
export interface TrailObject {
  key: string;
  lastModified: Date | null;
}

/** One ListObjectsV2 request, keys in lexicographic order after `startAfter`. */
export interface ListInput {
  /** The trail's region: where the client signs first (a bucket elsewhere is followed by redirect). */
  region: string;
  bucket: string;
  prefix: string;
  startAfter?: string;
  continuationToken?: string | null;
  /** 1..1000, default 1000 (S3's maximum). */
  maxKeys?: number;
}

export interface ListPage {
  objects: TrailObject[];
  nextToken: string | null;
}

/** The S3 API as the trail readers use it (an adapter, so tests and other sources can stand in). */
export interface TrailBucketSource {
  list(input: ListInput): Promise<ListPage>;
  /** The object's bytes as stored (gzip), streamed; null when it no longer exists (`NoSuchKey`). */
  open(input: { region: string; bucket: string; key: string }): Promise<AsyncIterable<Uint8Array> | null>;
}

/**
 * S3 `ListObjectsV2` / `GetObject` with the AWS SDK, built like every client audit reads a trail
 * with ({@link awsClientConfig}: endpoint override, explicit credentials, no SDK retries). The
 * bucket's region is not known (it need not be the trail region read): the client signs for the
 * trail region and follows S3's region redirect. Path-style addressing with an endpoint override,
 * since an emulator on an IP address cannot serve `<bucket>.<host>` names.
 */
export class AwsTrailBucket implements TrailBucketSource {
  private readonly clients = new Map<string, S3Client>();

  constructor(
    private readonly endpoint?: string,
    /** Explicit credentials (an assumed reader session, tests); otherwise the SDK's default chain. */
    private readonly credentials?: AwsClientCredentials,
  ) {}

  async list(input: ListInput): Promise<ListPage> {
    const out = await this.client(input.region).send(
      new ListObjectsV2Command({
        Bucket: input.bucket,
        Prefix: input.prefix,
        StartAfter: input.startAfter || undefined,
        ContinuationToken: input.continuationToken ?? undefined,
        MaxKeys: input.maxKeys ?? 1000,
      }),
    );
    return {
      objects: (out.Contents ?? []).flatMap((o) => (o.Key ? [{ key: o.Key, lastModified: o.LastModified ?? null }] : [])),
      nextToken: out.IsTruncated ? (out.NextContinuationToken ?? null) : null,
    };
  }

  async open(input: { region: string; bucket: string; key: string }): Promise<AsyncIterable<Uint8Array> | null> {
    try {
      const out = await this.client(input.region).send(new GetObjectCommand({ Bucket: input.bucket, Key: input.key }));
      // In Node the body is an http.IncomingMessage: a Readable, hence async-iterable chunk by chunk.
      return (out.Body as AsyncIterable<Uint8Array> | undefined) ?? Readable.from([]);
    } catch (error) {
      if (error instanceof Error && error.name === 'NoSuchKey') return null;
      throw error;
    }
  }

  private client(region: string): S3Client {
    let client = this.clients.get(region);
    if (!client) {
      client = new S3Client({ ...awsClientConfig(region, this.endpoint, this.credentials), forcePathStyle: this.endpoint !== undefined, followRegionRedirects: true });
      this.clients.set(region, client);
    }
    return client;
  }

  close(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }
}
