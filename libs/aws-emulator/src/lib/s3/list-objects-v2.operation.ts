import { firstAfter, type TrailBucket } from './trail-bucket-store';
import { s3Document, s3Errors, xmlFields } from './s3-xml';

const MAX_KEYS = 1000;

/** The query of `GET /<bucket>?list-type=2`, as S3 reads it. */
export interface ListObjectsV2Query {
  prefix: string;
  delimiter: string | undefined;
  startAfter: string | undefined;
  continuationToken: string | undefined;
  maxKeys: number;
  encodeUrl: boolean;
}

/** Validates the query parameters; InvalidArgument names the bad one. */
export function parseListQuery(query: URLSearchParams): ListObjectsV2Query {
  const maxKeysText = query.get('max-keys');
  const maxKeys = maxKeysText === null ? MAX_KEYS : Number(maxKeysText);
  if (!Number.isInteger(maxKeys) || maxKeys < 0 || !/^\d+$/.test(maxKeysText ?? '0'))
    throw s3Errors.invalidArgument(
      'Provided max-keys not an integer or within integer range',
      'max-keys',
      maxKeysText ?? '',
    );
  const encoding = query.get('encoding-type');
  if (encoding !== null && encoding !== 'url')
    throw s3Errors.invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', encoding);
  return {
    prefix: query.get('prefix') ?? '',
    delimiter: query.get('delimiter') || undefined,
    startAfter: query.get('start-after') ?? undefined,
    continuationToken: query.get('continuation-token') ?? undefined,
    maxKeys: Math.min(maxKeys, MAX_KEYS),
    encodeUrl: encoding === 'url',
  };
}

/**
 * ListObjectsV2 over a bucket: keys in lexicographic order from after `start-after` or the
 * continuation token (opaque: the last key or common prefix returned, base64), at most
 * `max-keys` keys and common prefixes together, `IsTruncated` with a `NextContinuationToken`.
 */
export function listObjectsV2(bucket: TrailBucket, q: ListObjectsV2Query): string {
  const after = q.continuationToken !== undefined ? decodeToken(q.continuationToken) : q.startAfter;
  const objects = bucket.objects;
  let i =
    after !== undefined && after > q.prefix
      ? firstAfter(objects, after)
      : firstAfter(objects, q.prefix, true);
  const contents: string[] = [];
  const prefixes: string[] = [];
  let last: { after: string; rolled: boolean } | null = null;
  let truncated = false;
  for (; i < objects.length && objects[i].key.startsWith(q.prefix); i++) {
    const o = objects[i];
    const common = commonPrefix(o.key, q.prefix, q.delimiter);
    if (common !== null && common === prefixes[prefixes.length - 1]) continue;
    if (contents.length + prefixes.length === q.maxKeys) {
      truncated = true;
      break;
    }
    if (common !== null) {
      prefixes.push(common);
      last = { after: common, rolled: true };
      continue;
    }
    last = { after: o.key, rolled: false };
    contents.push(
      `<Contents>${xmlFields([
        ['Key', encode(o.key, q.encodeUrl)],
        ['LastModified', o.lastModified.toISOString()],
        ['ETag', o.etag],
        ['Size', o.body.length],
        ['StorageClass', 'STANDARD'],
      ])}</Contents>`,
    );
  }
  const head = xmlFields([
    ['Name', bucket.name],
    ['Prefix', encode(q.prefix, q.encodeUrl)],
    ['ContinuationToken', q.continuationToken],
    ['NextContinuationToken', truncated && last !== null ? encodeToken(last) : undefined],
    ['StartAfter', q.startAfter !== undefined ? encode(q.startAfter, q.encodeUrl) : undefined],
    ['KeyCount', contents.length + prefixes.length],
    ['MaxKeys', q.maxKeys],
    ['Delimiter', q.delimiter !== undefined ? encode(q.delimiter, q.encodeUrl) : undefined],
    ['EncodingType', q.encodeUrl ? 'url' : undefined],
    ['IsTruncated', truncated],
  ]);
  const common = prefixes
    .map((p) => `<CommonPrefixes>${xmlFields([['Prefix', encode(p, q.encodeUrl)]])}</CommonPrefixes>`)
    .join('');
  return s3Document('ListBucketResult', head + contents.join('') + common);
}

// The rolled-up prefix of a key under a delimiter, or null when the key is listed itself.
function commonPrefix(key: string, prefix: string, delimiter: string | undefined): string | null {
  if (!delimiter) return null;
  const at = key.indexOf(delimiter, prefix.length);
  return at < 0 ? null : key.slice(0, at + delimiter.length);
}

// A continuation token resumes strictly after the last entry returned; past a common prefix,
// after every key under it.
function encodeToken(last: { after: string; rolled: boolean }): string {
  return Buffer.from(JSON.stringify(last), 'utf8').toString('base64');
}

function decodeToken(token: string): string {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    const { after, rolled } = (value ?? {}) as { after?: unknown; rolled?: unknown };
    if (typeof after === 'string') return rolled === true ? `${after}\uffff` : after;
  } catch {
    // answered below
  }
  throw s3Errors.invalidArgument('The continuation token provided is incorrect', 'continuation-token', token);
}

// `encoding-type=url`: S3 percent-encodes keys the way its clients decode them (`/` kept).
function encode(value: string, url: boolean): string {
  return url ? encodeURIComponent(value).replace(/%2F/g, '/') : value;
}
