import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SignedCaller } from '../actions/caller.types';
import { authErrors } from '../http/aws-api.error';
import type { IamStore } from '../state/iam-store';
import type { SessionStore } from '../state/session-store';
import { formatAmzDate, parseAmzDate, parseAuthorization } from './authorization-header';
import { NodeSha256 } from './node-sha256';

/** The parts of an HTTP request SigV4 covers. */
export interface SignedRequest {
  method: string;
  /** Path without the query string, as sent (percent-encoded). */
  path: string;
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Authenticated {
  caller: SignedCaller;
  region: string;
  service: string;
}

export interface AuthDeps {
  iam: IamStore;
  sessions: SessionStore;
  clock: () => Date;
}

const MAX_SKEW_MS = 5 * 60 * 1000;

/**
 * Verifies a SigV4-signed request the way AWS does: finds the secret of the access key (an IAM
 * user key or temporary credentials with their session token), refuses a clock skew beyond five
 * minutes, recomputes the signature with `@smithy/signature-v4` over exactly the headers the
 * client signed, and refuses expired temporary credentials. Throws the matching AwsApiError.
 */
export async function authenticate(
  req: SignedRequest,
  deps: AuthDeps,
  options: { s3?: boolean } = {},
): Promise<Authenticated> {
  const header = req.headers.authorization;
  if (!header) throw authErrors.missing();
  const auth = parseAuthorization(header);
  if (typeof auth === 'string') throw authErrors.incomplete(auth);
  const amzDateText = headerValue(req.headers['x-amz-date']);
  const signedAt = amzDateText ? parseAmzDate(amzDateText) : null;
  if (!amzDateText || !signedAt || !auth.signedHeaders.includes('x-amz-date')) {
    throw authErrors.incomplete("Authorization header requires existence of a signed 'X-Amz-Date' header.");
  }
  if (!auth.signedHeaders.includes('host')) throw authErrors.incomplete("'Host' must be a signed header.");

  const token = headerValue(req.headers['x-amz-security-token']);
  const found = findCredentials(auth.accessKeyId, token, deps);

  const now = deps.clock();
  const skew = signedAt.getTime() - now.getTime();
  if (Math.abs(skew) > MAX_SKEW_MS) throw authErrors.skew(skewMessage(signedAt, now, skew < 0));
  if (auth.scopeDate !== amzDateText.slice(0, 8)) throw authErrors.badSignature();

  const expected = await computeSignature(
    req,
    auth.signedHeaders,
    signedAt,
    auth.region,
    auth.service,
    {
      accessKeyId: auth.accessKeyId,
      secretAccessKey: found.secret,
      sessionToken: auth.signedHeaders.includes('x-amz-security-token') ? token : undefined,
    },
    options.s3 ?? false,
  );
  if (!timingSafeEqual(Buffer.from(expected), Buffer.from(auth.signature))) throw authErrors.badSignature();
  if (found.caller.kind === 'session' && found.caller.session.expiration <= now)
    throw authErrors.expiredToken();
  return { caller: found.caller, region: auth.region, service: auth.service };
}

function findCredentials(
  accessKeyId: string,
  token: string | undefined,
  deps: AuthDeps,
): { caller: SignedCaller; secret: string } {
  const userKey = deps.iam.userKey(accessKeyId);
  if (userKey) {
    if (userKey.key.status !== 'Active') throw authErrors.unknownKey();
    return {
      caller: { kind: 'user', accountId: userKey.user.accountId, accessKeyId, user: userKey.user },
      secret: userKey.key.secretAccessKey,
    };
  }
  const session = deps.sessions.get(accessKeyId);
  if (session && token === session.sessionToken) {
    return {
      caller: { kind: 'session', accountId: session.accountId, accessKeyId, session },
      secret: session.secretAccessKey,
    };
  }
  // A session already swept from memory: its token still tells us it expired.
  if (!session && token && deps.sessions.tokenExpiry(accessKeyId, token)) throw authErrors.expiredToken();
  throw authErrors.unknownKey();
}

async function computeSignature(
  req: SignedRequest,
  signedHeaders: string[],
  signedAt: Date,
  region: string,
  service: string,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string | undefined },
  s3: boolean,
): Promise<string> {
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = headerValue(req.headers[name]);
    if (value !== undefined) headers[name] = value;
  }
  const declaredHash = headers['x-amz-content-sha256'];
  if (
    declaredHash &&
    declaredHash !== 'UNSIGNED-PAYLOAD' &&
    declaredHash !== createHash('sha256').update(req.body).digest('hex')
  ) {
    throw authErrors.badSignature();
  }
  // S3 signs the path as sent (no normalising, no second encoding); the other services do both.
  const signer = new SignatureV4({
    service,
    region,
    credentials,
    sha256: NodeSha256,
    applyChecksum: false,
    uriEscapePath: !s3,
  });
  const signed = await signer.sign(
    {
      method: req.method,
      protocol: 'http:',
      hostname: headers['host'] ?? '',
      path: s3 ? req.path : safeDecode(req.path),
      query: parseQuery(req.rawQuery),
      headers,
      body:
        req.body.length > 0
          ? new Uint8Array(req.body.buffer, req.body.byteOffset, req.body.byteLength)
          : undefined,
    },
    {
      signingDate: signedAt,
      signingRegion: region,
      signingService: service,
      signableHeaders: new Set(signedHeaders),
    },
  );
  const authorization = String(signed.headers['authorization'] ?? '');
  return authorization.slice(authorization.lastIndexOf('Signature=') + 'Signature='.length);
}

function parseQuery(raw: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    const existing = out[k];
    out[k] = existing === undefined ? v : Array.isArray(existing) ? [...existing, v] : [existing, v];
  }
  return out;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function skewMessage(signedAt: Date, now: Date, past: boolean): string {
  const limit = new Date(now.getTime() + (past ? -MAX_SKEW_MS : MAX_SKEW_MS));
  return past
    ? `Signature expired: ${formatAmzDate(signedAt)} is now earlier than ${formatAmzDate(limit)} (${formatAmzDate(now)} - 5 min.)`
    : `Signature not yet current: ${formatAmzDate(signedAt)} is still later than ${formatAmzDate(limit)} (${formatAmzDate(now)} + 5 min.)`;
}
