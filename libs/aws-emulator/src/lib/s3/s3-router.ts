import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorCore } from '../actions/action.types';
import { identityDecision, identityDenied } from '../actions/authorize-identity';
import { callerContext } from '../actions/caller-context';
import type { SignedCaller } from '../actions/caller.types';
import type { FaultInjector } from '../faults/fault-injector';
import { AwsApiError } from '../http/aws-api.error';
import type { RequestContext } from '../policy/request-context';
import type { RequestCounter } from '../http/request-counter';
import { authenticate } from '../sigv4/authenticate-request';
import { parseAuthorization } from '../sigv4/authorization-header';
import { listObjectsV2, parseListQuery } from './list-objects-v2.operation';
import { hostId, s3AuthError, s3ErrorXml, s3Errors } from './s3-xml';
import type { TrailBucket, TrailBucketStore } from './trail-bucket-store';

export interface S3Deps {
  core: EmulatorCore;
  buckets: TrailBucketStore;
  faults: FaultInjector;
  counter: RequestCounter;
  log: (line: string) => void;
}

interface S3Target {
  bucket: string;
  key: string;
  /** The path as sent: S3 signs it as is. */
  rawPath: string;
  query: URLSearchParams;
}

/**
 * Whether a request is for S3: signed for the `s3` service, or an unsigned GET/HEAD of an object
 * path (S3 answers those AccessDenied; the Query protocol always names an Action).
 */
export function isS3Request(req: IncomingMessage, path: string, rawQuery: string): boolean {
  const authorization = req.headers.authorization;
  if (authorization) {
    const auth = parseAuthorization(authorization);
    return typeof auth !== 'string' && auth.service === 's3';
  }
  const method = req.method ?? 'GET';
  return (
    (method === 'GET' || method === 'HEAD') && path !== '/' && !new URLSearchParams(rawQuery).has('Action')
  );
}

/**
 * S3 REST over the trail buckets: `GET /<bucket>?list-type=2` (ListObjectsV2) and
 * `GET|HEAD /<bucket>/<key>` (GetObject), path-style or virtual-host style
 * (`<bucket>.<host>`). SigV4 as for the other services; the caller must belong to the bucket's
 * account and hold `s3:ListBucket` / `s3:GetObject` by its identity policies. Data events:
 * never recorded in CloudTrail, as a trail without data events does.
 */
export async function handleS3(
  deps: S3Deps,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  rawQuery: string,
  body: Buffer,
): Promise<void> {
  const requestId = randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
  const head = req.method === 'HEAD';
  try {
    const target = s3Target(deps.buckets, req, path, rawQuery);
    const operation = target.key ? 'GetObject' : 'ListObjectsV2';
    const claimed = claimedAccount(deps.core, req.headers.authorization);
    const region = signingRegion(req.headers.authorization) ?? 'us-east-1';
    deps.counter.count(operation, claimed, region);
    await deps.faults.apply('s3', operation, claimed);
    const auth = await authenticate(
      { method: req.method ?? 'GET', path: target.rawPath, rawQuery, headers: req.headers, body },
      deps.core,
      { s3: true },
    ).catch((error: unknown) => {
      throw error instanceof AwsApiError ? s3AuthError(error) : error;
    });
    const bucket = deps.buckets.bucket(target.bucket);
    if (!bucket) throw s3Errors.noSuchBucket(target.bucket);
    if (req.method !== 'GET' && !head) throw s3Errors.notImplemented(`${req.method ?? ''} requests`);
    const ctx = policyContext(deps.core, req, auth.caller, auth.region);
    if (target.key) return getObject(res, deps.core, bucket, target.key, auth.caller, ctx, requestId, head);
    if (target.query.get('list-type') !== '2')
      throw s3Errors.notImplemented('only ListObjectsV2 (list-type=2)');
    const query = parseListQuery(target.query);
    authorize(deps.core, auth.caller, bucket, 's3:ListBucket', `arn:aws:s3:::${bucket.name}`, ctx, {
      's3:prefix': query.prefix,
      's3:max-keys': String(query.maxKeys),
      ...(query.delimiter ? { 's3:delimiter': query.delimiter } : {}),
    });
    const xml = listObjectsV2(bucket, query);
    send(res, 200, { 'content-type': 'application/xml' }, Buffer.from(xml), requestId, head);
  } catch (error) {
    const apiError = error instanceof AwsApiError ? error : null;
    if (!apiError) deps.log(`aws-emulator: S3 request failed: ${(error as Error).stack ?? String(error)}`);
    const e =
      apiError ??
      new AwsApiError('InternalError', 'We encountered an internal error. Please try again.', 500);
    send(
      res,
      e.status,
      { 'content-type': 'application/xml' },
      Buffer.from(s3ErrorXml(e, requestId)),
      requestId,
      head,
    );
  }
}

function getObject(
  res: ServerResponse,
  core: EmulatorCore,
  bucket: TrailBucket,
  key: string,
  caller: SignedCaller,
  ctx: PolicyContext,
  requestId: string,
  head: boolean,
): void {
  authorize(core, caller, bucket, 's3:GetObject', `arn:aws:s3:::${bucket.name}/${key}`, ctx, {});
  const object = bucket.objects.find((o) => o.key === key);
  if (!object) {
    // S3 tells a missing key apart only to callers who may list the bucket.
    const list = identityDecision(
      core,
      caller,
      's3:ListBucket',
      `arn:aws:s3:::${bucket.name}`,
      ctx.build({}),
    );
    throw list.allowed ? s3Errors.noSuchKey(key) : s3Errors.accessDenied();
  }
  const headers = {
    'content-type': 'application/x-gzip',
    etag: object.etag,
    'last-modified': object.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
  };
  send(res, 200, headers, object.body, requestId, head);
}

interface PolicyContext {
  build(extra: Record<string, string>): RequestContext;
}

function policyContext(
  core: EmulatorCore,
  req: IncomingMessage,
  caller: SignedCaller,
  region: string,
): PolicyContext {
  const base = {
    core,
    caller,
    params: new Map<string, string>(),
    json: null,
    region,
    now: core.clock(),
    requestId: '',
    sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
    userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : '',
  };
  return {
    build(extra) {
      const builder = callerContext(base, caller);
      for (const [k, v] of Object.entries(extra)) builder.set(k, v);
      return builder.build();
    },
  };
}

// Bucket policies are not modelled: only the bucket's own account may read it.
function authorize(
  core: EmulatorCore,
  caller: SignedCaller,
  bucket: TrailBucket,
  action: string,
  resource: string,
  ctx: PolicyContext,
  extra: Record<string, string>,
): void {
  if (caller.accountId !== bucket.accountId) throw s3Errors.accessDenied();
  const decision = identityDecision(core, caller, action, resource, ctx.build(extra));
  if (!decision.allowed) {
    const denied = identityDenied(caller, action, resource, decision.why);
    throw s3Errors.accessDenied(denied.message);
  }
}

function s3Target(buckets: TrailBucketStore, req: IncomingMessage, path: string, rawQuery: string): S3Target {
  const query = new URLSearchParams(rawQuery);
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  const first = host.split('.')[0];
  if (host.includes('.') && !isIP(host) && buckets.bucket(first))
    return { bucket: first, key: decodeKey(path.slice(1)), rawPath: path, query };
  const slash = path.indexOf('/', 1);
  const bucket = slash < 0 ? path.slice(1) : path.slice(1, slash);
  const key = slash < 0 ? '' : decodeKey(path.slice(slash + 1));
  return { bucket: decodeKey(bucket), key, rawPath: path, query };
}

function decodeKey(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function claimedAccount(core: EmulatorCore, authorization: string | undefined): string {
  const auth = authorization ? parseAuthorization(authorization) : null;
  if (!auth || typeof auth === 'string') return 'anonymous';
  return (
    core.iam.userKey(auth.accessKeyId)?.user.accountId ??
    core.sessions.get(auth.accessKeyId)?.accountId ??
    'unknown'
  );
}

function signingRegion(authorization: string | undefined): string | null {
  const auth = authorization ? parseAuthorization(authorization) : null;
  return auth && typeof auth !== 'string' ? auth.region : null;
}

function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: Buffer,
  requestId: string,
  head: boolean,
): void {
  res.writeHead(status, {
    ...headers,
    'content-length': body.length,
    'x-amz-request-id': requestId,
    'x-amz-id-2': hostId(requestId),
    date: new Date().toUTCString(),
    server: 'AmazonS3',
  });
  res.end(head ? undefined : body);
}
