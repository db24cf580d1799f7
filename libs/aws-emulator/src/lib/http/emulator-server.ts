import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { ActionContext, ActionDef, EmulatorCore, Service } from '../actions/action.types';
import { findAction } from '../actions/action-registry';
import type { Caller } from '../actions/caller.types';
import { requestParametersOf } from '../actions/request-parameters';
import type { FaultInjector } from '../faults/fault-injector';
import { handleS3, isS3Request } from '../s3/s3-router';
import type { TrailBucketStore } from '../s3/trail-bucket-store';
import { authenticate } from '../sigv4/authenticate-request';
import { parseAuthorization } from '../sigv4/authorization-header';
import type { TrailOverrides } from '../trail/trail-event.types';
import type { TrailRecorder } from '../trail/trail-recorder';
import { userIdentityOf } from '../trail/user-identity';
import { handleAdmin, type AdminApi } from './admin-routes';
import { AwsApiError } from './aws-api.error';
import { jsonError, jsonErrorCode, jsonTarget } from './json-protocol';
import { parseQueryParams, queryError, queryResponse, type QueryParams } from './query-protocol';
import type { RequestCounter } from './request-counter';

const MAX_BODY_BYTES = 1024 * 1024;

export interface ServerDeps {
  core: EmulatorCore;
  recorder: TrailRecorder;
  faults: FaultInjector;
  counter: RequestCounter;
  admin: AdminApi;
  /** The trail buckets S3 requests read. */
  buckets: TrailBucketStore;
  defaultRegion: string;
  /** Receives one line per unexpected failure (never a secret). */
  log: (line: string) => void;
}

interface Parsed {
  def: ActionDef;
  params: QueryParams;
  json: Record<string, unknown> | null;
  region: string;
  claimedAccount: string;
}

/** The emulator's HTTP entry point: admin routes, S3 (REST), then STS/IAM (Query) and CloudTrail (JSON 1.1). */
export function createRequestListener(deps: ServerDeps): RequestListener {
  return (req, res) => {
    readBody(req)
      .then((body) => route(deps, req, res, body))
      .catch((error: unknown) => {
        deps.log(`aws-emulator: unexpected failure: ${(error as Error).stack ?? String(error)}`);
        if (!res.headersSent) sendQueryError(res, 'sts', internal(), randomUUID(), deps.core.clock());
      });
  };
}

async function route(
  deps: ServerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer | null,
): Promise<void> {
  const [path, rawQuery = ''] = (req.url ?? '/').split('?', 2);
  if (path.startsWith('/_emulator/')) {
    // An admin body over the limit is refused, never read as an empty one (that would clear the faults).
    if (!body) return sendAdminTooLarge(res);
    return handleAdmin(req, res, path, body, deps.admin);
  }
  if (isS3Request(req, path, rawQuery))
    return handleS3(deps, req, res, path, rawQuery, body ?? Buffer.alloc(0));
  const requestId = randomUUID();
  const target = jsonTarget(header(req, 'x-amz-target'));
  const fallbackService: Service = target ? 'cloudtrail' : 'sts';
  let parsed: Parsed | null = null;
  try {
    if (!body)
      throw new AwsApiError('RequestEntityTooLarge', `Request body exceeds ${MAX_BODY_BYTES} bytes`, 413, {
        recorded: false,
      });
    parsed = parse(deps, req, body, rawQuery, target?.operation ?? null);
    deps.counter.count(parsed.def.name, parsed.claimedAccount, parsed.region);
    await deps.faults.apply(parsed.def.service, parsed.def.name, parsed.claimedAccount);
    let caller: Caller = { kind: 'anonymous' };
    let region = parsed.region;
    if (!parsed.def.unsigned) {
      const auth = await authenticate(
        { method: req.method ?? 'POST', path, rawQuery, headers: req.headers, body },
        deps.core,
      );
      caller = auth.caller;
      region = auth.region;
    }
    await run(deps, req, res, parsed, caller, region, requestId);
  } catch (error) {
    const apiError = error instanceof AwsApiError ? error : null;
    if (!apiError)
      deps.log(
        `aws-emulator: ${parsed?.def.name ?? 'request'} failed: ${(error as Error).stack ?? String(error)}`,
      );
    send(res, parsed?.def.service ?? fallbackService, apiError ?? internal(), requestId, deps.core.clock());
  }
}

async function run(
  deps: ServerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  parsed: Parsed,
  caller: Caller,
  region: string,
  requestId: string,
): Promise<void> {
  const { def } = parsed;
  const ctx: ActionContext = {
    core: deps.core,
    caller,
    params: parsed.params,
    json: parsed.json,
    region,
    now: deps.core.clock(),
    requestId,
    sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
    userAgent: header(req, 'user-agent') ?? '',
  };
  try {
    const outcome = await def.handle(ctx);
    record(deps, ctx, def, outcome.trail ?? {}, null);
    if (def.service === 'cloudtrail')
      sendJson(res, 200, JSON.stringify(outcome.result ?? {}), requestId, ctx.now);
    else
      sendXml(res, 200, queryResponse(def.service, def.name, outcome.result, requestId), requestId, ctx.now);
  } catch (error) {
    if (error instanceof AwsApiError && error.recorded) {
      try {
        record(
          deps,
          ctx,
          def,
          { ...(def.onFailure?.(ctx, error) ?? {}), ...(error.options.trail ?? {}) },
          error,
        );
      } catch (recording) {
        // The client still gets its own error; a record that cannot be written is the emulator's bug.
        deps.log(
          `aws-emulator: recording the failed ${def.name} failed: ${(recording as Error).stack ?? String(recording)}`,
        );
      }
    }
    throw error;
  }
}

function record(
  deps: ServerDeps,
  ctx: ActionContext,
  def: ActionDef,
  trail: TrailOverrides,
  error: AwsApiError | null,
): void {
  const recipients = trail.recipients ?? (ctx.caller.kind === 'anonymous' ? [] : [ctx.caller.accountId]);
  if (recipients.length === 0) return;
  const errorCode = error ? (def.service === 'cloudtrail' ? jsonErrorCode(error) : error.code) : undefined;
  deps.recorder.record({
    time: ctx.now,
    eventSource: `${def.service}.amazonaws.com`,
    eventName: def.name,
    awsRegion: def.service === 'iam' ? 'us-east-1' : ctx.region,
    readOnly: def.readOnly,
    userIdentity: trail.userIdentity ?? userIdentityOf(ctx.caller),
    sourceIp: ctx.sourceIp,
    userAgent: ctx.userAgent,
    requestId: ctx.requestId,
    requestParameters:
      trail.requestParameters !== undefined ? trail.requestParameters : requestParametersOf(ctx.params),
    responseElements: error ? null : (trail.responseElements ?? null),
    resources: error ? undefined : trail.resources,
    additionalEventData: trail.additionalEventData,
    recipients,
    ...(error ? { errorCode, errorMessage: error.message } : {}),
  });
}

function parse(
  deps: ServerDeps,
  req: IncomingMessage,
  body: Buffer,
  rawQuery: string,
  jsonOperation: string | null,
): Parsed {
  const authorization = header(req, 'authorization');
  const auth = authorization ? parseAuthorization(authorization) : null;
  const scope = auth && typeof auth !== 'string' ? auth : null;
  const claimedAccount = scope ? accountOfKey(deps.core, scope.accessKeyId) : 'anonymous';
  const region = scope?.region ?? regionFromHost(header(req, 'host')) ?? deps.defaultRegion;
  if (jsonOperation !== null) {
    const def = findAction('cloudtrail', jsonOperation);
    if (!def)
      throw new AwsApiError('UnknownOperationException', `Unknown operation ${jsonOperation}`, 400, {
        recorded: false,
      });
    return { def, params: new Map(), json: parseJson(body), region, claimedAccount };
  }
  const params = parseQueryParams(body, rawQuery);
  const name = params.get('Action');
  if (!name) throw new AwsApiError('MissingAction', 'Missing Action', 400, { recorded: false });
  const service = scope?.service === 'sts' || scope?.service === 'iam' ? scope.service : null;
  const def = findAction(service, name);
  if (!def || def.service === 'cloudtrail') {
    const version = service === 'iam' ? '2010-05-08' : '2011-06-15';
    throw new AwsApiError('InvalidAction', `Could not find operation ${name} for version ${version}`, 400, {
      recorded: false,
    });
  }
  return { def, params, json: null, region, claimedAccount };
}

function parseJson(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new AwsApiError('SerializationException', 'The request body is not a JSON object', 400, {
    recorded: false,
  });
}

function accountOfKey(core: EmulatorCore, accessKeyId: string): string {
  return (
    core.iam.userKey(accessKeyId)?.user.accountId ?? core.sessions.get(accessKeyId)?.accountId ?? 'unknown'
  );
}

// Clients that keep AWS's host name (sts.eu-west-1.amazonaws.com) tell the region of unsigned calls.
function regionFromHost(host: string | undefined): string | null {
  const m = host ? /^(?:sts|iam|cloudtrail)[.-]([a-z0-9-]+)\.amazonaws\.com/.exec(host) : null;
  return m ? m[1] : null;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? null : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendAdminTooLarge(res: ServerResponse): void {
  const text = JSON.stringify({
    error: 'PAYLOAD_TOO_LARGE',
    message: `The body exceeds ${MAX_BODY_BYTES} bytes`,
  });
  res.writeHead(413, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function internal(): AwsApiError {
  return new AwsApiError(
    'InternalFailure',
    'The request processing has failed because of an unknown error, exception or failure.',
    500,
    {
      recorded: false,
    },
  );
}

function send(res: ServerResponse, service: Service, error: AwsApiError, requestId: string, now: Date): void {
  if (service === 'cloudtrail') {
    sendJson(
      res,
      error.status >= 500 ? error.status : 400,
      jsonError(error),
      requestId,
      now,
      jsonErrorCode(error),
    );
  } else sendQueryError(res, service, error, requestId, now);
}

function sendQueryError(
  res: ServerResponse,
  service: 'sts' | 'iam',
  error: AwsApiError,
  requestId: string,
  now: Date,
): void {
  sendXml(res, error.status, queryError(service, error, requestId), requestId, now);
}

function sendXml(res: ServerResponse, status: number, body: string, requestId: string, now: Date): void {
  res.writeHead(status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
    date: now.toUTCString(),
  });
  res.end(body);
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: string,
  requestId: string,
  now: Date,
  errorType?: string,
): void {
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    date: now.toUTCString(),
  });
  res.end(body);
}
