import type { ErrorBody } from '@runtrail/contracts';

/** What a request handler sends back: the data, or a typed error. Never both. */
export type ReplyEnvelope<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };
