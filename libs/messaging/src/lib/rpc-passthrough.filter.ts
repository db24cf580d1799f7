import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

/**
 * Nest's default RPC exception filter turns every non-`RpcException` into a bare
 * "Internal server error" object and logs the raw error. runtrail's transport needs the original
 * error (a RuntrailError's code decides ack/nak/dead-letter and the reply's error code) and does
 * its own logging without secrets, so this filter hands errors through unchanged.
 */
@Catch()
export class RpcPassthroughFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}
