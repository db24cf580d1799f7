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

/** Answers a service's HTTP errors as `application/problem+json` carrying runtrail's error codes. */
@Catch()
export class ProblemJsonFilter implements ExceptionFilter {
  private readonly log = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request>();
    const error = this.toRuntrailError(exception);
    const status = STATUS[error.code];
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

  private toRuntrailError(exception: unknown): RuntrailError {
    if (exception instanceof RuntrailError) return exception;
    if (exception instanceof HttpException) return fromHttpException(exception);
    this.log.error(`unexpected error: ${exception instanceof Error ? exception.name : 'unknown'}`);
    return new RuntrailError('INTERNAL', 'the service failed unexpectedly; see its logs');
  }
}

/** Nest's own errors (unknown route, malformed JSON body, payload too large) in runtrail's terms. */
function fromHttpException(exception: HttpException): RuntrailError {
  const status = exception.getStatus();
  if (status === 404) return new RuntrailError('NOT_FOUND', 'no such resource');
  if (status === 400)
    return new RuntrailError('VALIDATION_FAILED', 'the request body is not valid JSON', [
      { path: '(body)', rule: 'must be JSON' },
    ]);
  if (status === 413)
    return new RuntrailError('VALIDATION_FAILED', 'the request body is too large', [
      { path: '(body)', rule: 'too large' },
    ]);
  return new RuntrailError('INTERNAL', 'the service failed unexpectedly; see its logs');
}
