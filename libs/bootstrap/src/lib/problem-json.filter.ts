import { Catch, HttpException, HttpStatus, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { RuntrailError, type ErrorCode, type FieldIssue } from '@runtrail/contracts';
import type { Request, Response } from 'express';

const STATUS: Partial<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: HttpStatus.BAD_REQUEST,
  NOT_FOUND: HttpStatus.NOT_FOUND,
  UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
};

/** An RFC 9457 problem body with runtrail's stable error code. */
export interface Problem {
  type: 'about:blank';
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance: string;
  issues?: FieldIssue[];
}

/** Answers the issuer's HTTP errors as `application/problem+json` carrying runtrail's error codes. */
@Catch()
export class ProblemJsonFilter implements ExceptionFilter {
  private readonly log = new Logger('OidcIssuerHttp');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request>();
    const error = this.toRuntrailError(exception);
    const status = STATUS[error.code] ?? HttpStatus.INTERNAL_SERVER_ERROR;
    const problem: Problem = {
      type: 'about:blank',
      title: titleOf(status),
      status,
      detail: error.message,
      code: error.code,
      instance: request.path,
      ...(error.issues?.length ? { issues: error.issues } : {}),
    };
    response.status(status).setHeader('Cache-Control', 'no-store').type('application/problem+json').send(JSON.stringify(problem));
  }

  private toRuntrailError(exception: unknown): RuntrailError {
    if (exception instanceof RuntrailError) return exception;
    if (exception instanceof HttpException && exception.getStatus() === 404) return new RuntrailError('NOT_FOUND', 'no such resource');
    this.log.error(`unexpected error: ${exception instanceof Error ? exception.name : 'unknown'}`);
    return new RuntrailError('INTERNAL', 'the OIDC issuer failed unexpectedly; see its logs');
  }
}

function titleOf(status: number): string {
  if (status === 400) return 'Bad Request';
  if (status === 404) return 'Not Found';
  if (status === 503) return 'Service Unavailable';
  return 'Internal Server Error';
}
