/**
 * Stable error codes carried in NATS error replies, dead-letter reasons and REST problem+json.
 * Add codes; never rename or remove one (clients switch on them).
 */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'CONFLICT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'ACCESS_DENIED',
  'UNSAFE_TRUST_POLICY',
  'RUN_NOT_ACTIVE',
  'THROTTLED',
  'UPSTREAM_ERROR',
  'UNAVAILABLE',
  'NO_RESPONDERS',
  'TIMEOUT',
  'INTERNAL',
  // HTTP framework refusals (the body or the method, before any use case runs).
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'METHOD_NOT_ALLOWED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Codes worth another attempt later; everything else is permanent. */
const TRANSIENT: ReadonlySet<ErrorCode> = new Set(['THROTTLED', 'UPSTREAM_ERROR', 'UNAVAILABLE', 'NO_RESPONDERS', 'TIMEOUT']);

export function isTransientCode(code: ErrorCode): boolean {
  return TRANSIENT.has(code);
}

/** One problem with one field, e.g. `{ path: 'roleArn', rule: 'must be an IAM role ARN' }`. */
export interface FieldIssue {
  path: string;
  rule: string;
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  issues?: FieldIssue[];
}

/**
 * The one error type that crosses service boundaries. The message must be actionable by a person
 * and must never contain a secret.
 */
export class RuntrailError extends Error {
  override readonly name = 'RuntrailError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: FieldIssue[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get transient(): boolean {
    return isTransientCode(this.code);
  }

  toJSON(): ErrorBody {
    return this.issues?.length ? { code: this.code, message: this.message, issues: this.issues } : { code: this.code, message: this.message };
  }

  static fromBody(body: ErrorBody): RuntrailError {
    return new RuntrailError(body.code, body.message, body.issues);
  }
}
