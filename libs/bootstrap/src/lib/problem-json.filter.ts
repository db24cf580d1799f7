import {
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { RuntrailError, type ErrorCode, type FieldIssue } from '@runtrail/contracts';
import type { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { allowedMethods, routeTableOf } from './route-table';

/** The HTTP status of each stable error code (every code has one, so no error falls back to 500 by accident). */
const STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: HttpStatus.BAD_REQUEST,
  NOT_FOUND: HttpStatus.NOT_FOUND,
  CONFLICT: HttpStatus.CONFLICT,
  UNAUTHENTICATED: HttpStatus.UNAUTHORIZED,
  FORBIDDEN: HttpStatus.FORBIDDEN,
  ACCESS_DENIED: HttpStatus.FORBIDDEN,
  UNSAFE_TRUST_POLICY: HttpStatus.UNPROCESSABLE_ENTITY,
  RUN_NOT_ACTIVE: HttpStatus.CONFLICT,
  THROTTLED: HttpStatus.TOO_MANY_REQUESTS,
  UPSTREAM_ERROR: HttpStatus.BAD_GATEWAY,
  UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
  NO_RESPONDERS: HttpStatus.SERVICE_UNAVAILABLE,
  TIMEOUT: HttpStatus.GATEWAY_TIMEOUT,
  INTERNAL: HttpStatus.INTERNAL_SERVER_ERROR,
  PAYLOAD_TOO_LARGE: HttpStatus.PAYLOAD_TOO_LARGE,
  UNSUPPORTED_MEDIA_TYPE: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  METHOD_NOT_ALLOWED: HttpStatus.METHOD_NOT_ALLOWED,
};

/** The code of a framework error by its HTTP status; a 4xx without its own code is a bad request. */
const CODE_OF_STATUS: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'THROTTLED',
  502: 'UPSTREAM_ERROR',
  503: 'UNAVAILABLE',
  504: 'TIMEOUT',
};

/** An RFC 9457 (formerly 7807) problem body with runtrail's stable error code. */
export interface Problem {
  type: 'about:blank';
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance: string;
  issues?: FieldIssue[];
  [extension: string]: unknown;
}

/**
 * A {@link RuntrailError} whose problem body carries extra members (RFC 9457 extensions), e.g. the
 * verifier's verdict on a refused trust policy. Extensions must never hold a secret.
 */
export class ProblemError extends RuntrailError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly extensions: Record<string, unknown>,
    issues?: FieldIssue[],
  ) {
    super(code, message, issues);
  }
}

/**
 * Answers every HTTP error of a service as `application/problem+json` carrying runtrail's error
 * codes: use-case errors ({@link RuntrailError}), Nest's and Express's own (unknown route, method
 * not allowed, undecodable percent-encoding in the path) and anything else with an HTTP status,
 * whose status is kept (a 415 stays a 415). Anything without one is a 500 that names no internals.
 * Installed globally by `bootstrapService`; an unknown method on a known path is a 405 with `Allow`.
 */
@Catch()
export class ProblemJsonFilter implements ExceptionFilter {
  private readonly log = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request>();
    if (response.headersSent) {
      // A streamed answer (CSV export) failed half-way: the status is gone, only closing is left.
      this.log.error(`error after the answer started: ${nameOf(exception)}`);
      response.destroy();
      return;
    }
    const error = this.toRuntrailError(exception, request, response);
    // A framework 4xx without a code of its own (418, 422 from a library) keeps its status.
    const kept = exception instanceof RuntrailError ? undefined : statusOf(exception);
    const status = kept !== undefined && kept < 500 && !(kept in CODE_OF_STATUS) ? kept : STATUS[error.code];
    const problem: Problem = {
      ...(error instanceof ProblemError ? error.extensions : {}),
      type: 'about:blank',
      title: STATUS_CODES[status] ?? 'Error',
      status,
      detail: error.message,
      code: error.code,
      instance: request.path,
      ...(error.issues?.length ? { issues: error.issues } : {}),
    };
    if (error.code === 'UNAUTHENTICATED') response.setHeader('WWW-Authenticate', 'Bearer');
    const retryAfter = error instanceof ProblemError ? error.extensions['retryAfterSeconds'] : undefined;
    if (typeof retryAfter === 'number') response.setHeader('Retry-After', String(retryAfter));
    response
      .status(status)
      .setHeader('Cache-Control', 'no-store')
      .type('application/problem+json')
      .send(JSON.stringify(problem));
  }

  private toRuntrailError(exception: unknown, request: Request, response: Response): RuntrailError {
    if (exception instanceof RuntrailError) return exception;
    if (isUndecodablePath(exception))
      return new RuntrailError('VALIDATION_FAILED', 'the path is not valid percent-encoded UTF-8', [
        { path: '(path)', rule: 'must be valid percent-encoded UTF-8' },
      ]);
    const status = statusOf(exception);
    if (status === undefined || status >= 500) {
      this.log.error(`unexpected error: ${nameOf(exception)}`);
      return new RuntrailError('INTERNAL', 'the service failed unexpectedly; see its logs');
    }
    if (status === 404) {
      const routes = routeTableOf(request.app);
      const allow = routes ? allowedMethods(routes, request.path) : [];
      if (allow.length > 0 && !allow.includes(request.method)) {
        response.setHeader('Allow', allow.join(', '));
        return new RuntrailError(
          'METHOD_NOT_ALLOWED',
          `${request.method} is not allowed on ${request.path}; use ${allow.join(', ')}`,
          [{ path: '(method)', rule: `must be one of ${allow.join(', ')}` }],
        );
      }
      return new RuntrailError('NOT_FOUND', `no such resource: ${request.method} ${request.path}`);
    }
    const code = CODE_OF_STATUS[status] ?? 'VALIDATION_FAILED';
    return new RuntrailError(code, `the request was refused: ${STATUS_CODES[status] ?? status}`);
  }
}

/** The HTTP status an error carries: Nest's exceptions, and `http-errors` (Express, body-parser). */
function statusOf(exception: unknown): number | undefined {
  if (exception instanceof HttpException) return exception.getStatus();
  if (typeof exception !== 'object' || exception === null) return undefined;
  const { status, statusCode, expose } = exception as {
    status?: unknown;
    statusCode?: unknown;
    expose?: unknown;
  };
  const candidate = typeof status === 'number' ? status : statusCode;
  // http-errors marks client errors `expose`; a status on any other error is not trusted.
  return typeof candidate === 'number' && expose === true && candidate >= 400 && candidate <= 599
    ? candidate
    : undefined;
}

/** Express's router refusing `%E0%A4%A` in a path parameter (Nest turns its URIError into a 400). */
function isUndecodablePath(exception: unknown): boolean {
  if (exception instanceof URIError) return true;
  return exception instanceof HttpException && /^Failed to decode param/.test(exception.message);
}

function nameOf(exception: unknown): string {
  return exception instanceof Error ? exception.name : 'unknown';
}
