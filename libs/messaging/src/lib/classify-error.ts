import { RuntrailError, type ErrorCode } from '@runtrail/contracts';

export interface ClassifiedError {
  code: ErrorCode;
  message: string;
  transient: boolean;
}

/**
 * How a handler's failure is treated. A {@link RuntrailError} says itself whether it is transient;
 * anything else (a bug, a dropped database connection) is retried until max deliveries, because
 * giving up on a fact at the first unknown error would lose it.
 */
export function classifyError(error: unknown): ClassifiedError {
  if (error instanceof RuntrailError) return { code: error.code, message: error.message, transient: error.transient };
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { code: 'INTERNAL', message, transient: true };
}
