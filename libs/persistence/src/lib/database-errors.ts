import {
  ConnectionException,
  DeadlockException,
  DriverException,
  ForeignKeyConstraintViolationException,
  LockWaitTimeoutException,
  NotFoundError,
  NotNullConstraintViolationException,
  OptimisticLockError,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import { RuntrailError } from '@runtrail/contracts';

/** True when `error` is a unique-constraint violation from either driver. */
export function isUniqueViolation(error: unknown): error is UniqueConstraintViolationException {
  return error instanceof UniqueConstraintViolationException;
}

/**
 * What was violated, without any value: the PostgreSQL constraint name, or the SQLite columns.
 * Driver messages embed the failing SQL with its parameters, so they are never passed on.
 */
function violatedKey(error: DriverException): string | undefined {
  const { constraint } = error as DriverException & { constraint?: unknown };
  if (typeof constraint === 'string' && constraint) return constraint;
  return /constraint failed: ([\w.]+(?:, [\w.]+)*)/.exec(error.message)?.[1];
}

/**
 * Turns a MikroORM/driver error into a {@link RuntrailError} a caller can act on, without leaking
 * the SQL or its parameters. `what` names the thing being written (`"integration 'prod'"`).
 *
 * - unique violation: `CONFLICT` ("… already exists (sample_item_name_unique)")
 * - foreign key: `CONFLICT`; not null: `VALIDATION_FAILED`; `NotFoundError`: `NOT_FOUND`
 * - a versioned row changed by someone else meanwhile (`OptimisticLockError`): `CONFLICT`
 * - connection lost, deadlock, lock timeout: `UNAVAILABLE` (transient: retry later)
 * - anything else: `INTERNAL`. A `RuntrailError` is returned unchanged.
 */
export function toRuntrailError(error: unknown, what: string): RuntrailError {
  if (error instanceof RuntrailError) return error;
  const cause = { cause: error };
  if (error instanceof NotFoundError)
    return new RuntrailError('NOT_FOUND', `${what} was not found`, undefined, cause);
  if (error instanceof OptimisticLockError)
    return new RuntrailError(
      'CONFLICT',
      `${what} changed meanwhile; read it again and retry`,
      undefined,
      cause,
    );
  if (isLostConnection(error))
    return new RuntrailError('UNAVAILABLE', `the database is unavailable while storing ${what}; retry later`, undefined, cause);
  if (!(error instanceof DriverException))
    return new RuntrailError('INTERNAL', `storing ${what} failed`, undefined, cause);
  const key = violatedKey(error);
  const suffix = key ? ` (${key})` : '';
  if (error instanceof UniqueConstraintViolationException) {
    return new RuntrailError('CONFLICT', `${what} already exists${suffix}`, undefined, cause);
  }
  if (error instanceof ForeignKeyConstraintViolationException) {
    return new RuntrailError(
      'CONFLICT',
      `${what} refers to a record that does not exist or is still referenced${suffix}`,
      undefined,
      cause,
    );
  }
  if (error instanceof NotNullConstraintViolationException) {
    return new RuntrailError(
      'VALIDATION_FAILED',
      `${what} is missing a required value${suffix}`,
      undefined,
      cause,
    );
  }
  if (
    error instanceof ConnectionException ||
    error instanceof DeadlockException ||
    error instanceof LockWaitTimeoutException
  ) {
    return new RuntrailError(
      'UNAVAILABLE',
      `the database is unavailable while storing ${what}; retry later`,
      undefined,
      cause,
    );
  }
  return new RuntrailError('INTERNAL', `storing ${what} failed (${error.name})`, undefined, cause);
}

/** PostgreSQL's "connection exception" (08xxx) and "operator intervention" (57P01-03) classes. */
const LOST_CONNECTION_CODES = /^(08\d{3}|57P0[123]|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT)$/;

/**
 * A connection the database dropped or refused (a restart, a failover): pg and knex raise these
 * as plain errors, not as MikroORM's ConnectionException, and they pass once the database is back.
 */
function isLostConnection(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code } = error as Error & { code?: unknown };
  if (typeof code === 'string' && LOST_CONNECTION_CODES.test(code)) return true;
  return (
    error.name === 'KnexTimeoutError' ||
    /connection (terminated|ended) unexpectedly|terminating connection|connection error|timeout acquiring a connection/i.test(error.message)
  );
}
