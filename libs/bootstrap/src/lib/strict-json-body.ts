import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { RuntrailError } from '@runtrail/contracts';
import { json, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Observable } from 'rxjs';

/** The largest JSON body any runtrail API takes (the same as Express's default). */
export const BODY_LIMIT_BYTES = 100 * 1024;

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const BODY_ERROR = Symbol('runtrail.bodyError');

type WithBodyError = Request & { [BODY_ERROR]?: RuntrailError };

/**
 * The only body parser of runtrail's HTTP APIs: a POST, PUT or PATCH with a body must send
 * `Content-Type: application/json` (415 otherwise: form-encoded, text/plain and XML bodies are never
 * read as fields), at most {@link BODY_LIMIT_BYTES} once decoded (413), in a `Content-Encoding` body-parser
 * inflates (415 otherwise), holding an object or array (400). A refusal is not answered here but
 * kept for {@link DeferredBodyErrorInterceptor}, so that a route's authentication comes first: an
 * unauthenticated caller learns nothing about what the route accepts. A request without a body
 * leaves `req.body` undefined; the route decides whether it needed one.
 */
export function strictJsonBody(limitBytes = BODY_LIMIT_BYTES): RequestHandler {
  const parse = json({ limit: limitBytes, strict: true, type: () => true });
  return (req: WithBodyError, res: Response, next: NextFunction) => {
    if (!BODY_METHODS.has(req.method) || !hasBody(req)) return next();
    if (!req.is('application/json')) {
      req[BODY_ERROR] = unsupportedType(req.headers['content-type']);
      req.resume();
      return next();
    }
    parse(req, res, (error?: unknown) => {
      if (error !== undefined) {
        req[BODY_ERROR] = bodyError(error, limitBytes);
        req.body = undefined;
      }
      next();
    });
  };
}

/** Throws the refusal {@link strictJsonBody} kept, once the route's guards let the caller in. */
@Injectable()
export class DeferredBodyErrorInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const error = context.switchToHttp().getRequest<WithBodyError>()[BODY_ERROR];
      if (error) throw error;
    }
    return next.handle();
  }
}

/** A body is sent when it is chunked or has a positive length (`Content-Length: 0` is none). */
function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

function unsupportedType(contentType: string | undefined): RuntrailError {
  return new RuntrailError(
    'UNSUPPORTED_MEDIA_TYPE',
    contentType
      ? `the request body is ${contentType.split(';')[0]?.trim().slice(0, 100)}; send JSON with Content-Type: application/json`
      : 'the request body has no Content-Type; send JSON with Content-Type: application/json',
    [{ path: 'Content-Type', rule: 'must be application/json' }],
  );
}

/** body-parser's refusals (http-errors with a `type`) in runtrail's terms, their status kept. */
function bodyError(error: unknown, limitBytes: number): RuntrailError {
  const type = (error as { type?: unknown }).type;
  if (type === 'entity.too.large')
    return new RuntrailError('PAYLOAD_TOO_LARGE', `the request body is larger than ${limitBytes} bytes`, [
      { path: '(body)', rule: `must be at most ${limitBytes} bytes` },
    ]);
  if (type === 'encoding.unsupported')
    return new RuntrailError(
      'UNSUPPORTED_MEDIA_TYPE',
      'the request body has an unsupported Content-Encoding',
      [{ path: 'Content-Encoding', rule: 'must be identity, gzip, deflate or br' }],
    );
  if (type === 'charset.unsupported')
    return new RuntrailError('UNSUPPORTED_MEDIA_TYPE', 'the request body has an unsupported charset', [
      { path: 'Content-Type', rule: 'charset must be utf-8' },
    ]);
  if (type === 'entity.parse.failed')
    return new RuntrailError('VALIDATION_FAILED', 'the request body is not valid JSON', [
      { path: '(body)', rule: 'must be a JSON object' },
    ]);
  return new RuntrailError('VALIDATION_FAILED', 'the request body could not be read', [
    { path: '(body)', rule: 'must be complete JSON in its declared Content-Encoding' },
  ]);
}
