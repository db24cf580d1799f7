import type { z } from 'zod';

/** JetStream streams of runtrail. Each event contract names the stream that stores it. */
export type StreamName = 'RUNS' | 'INTEGRATIONS' | 'CREDENTIALS' | 'DELIVERIES' | 'AUDIT' | 'DLQ';

/** A stream name: runtrail's own, or one a test defines for isolation. */
export type AnyStreamName = StreamName | (string & {});

/**
 * A fact published on JetStream. `subject` derives the concrete subject from the payload
 * (e.g. `runs.v1.phase.<runId>`), `msgId` the deterministic `Nats-Msg-Id` that makes
 * publishing idempotent, and `pattern` is the filter a consumer subscribes with.
 */
export interface EventContract<S extends z.ZodType = z.ZodType> {
  readonly kind: 'event';
  readonly name: string;
  readonly pattern: string;
  readonly stream: AnyStreamName;
  readonly schema: S;
  subject(payload: z.output<S>): string;
  msgId(payload: z.output<S>): string;
}

/** A question answered over core NATS request-reply by a queue group. */
export interface RequestContract<Q extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  readonly kind: 'request';
  readonly subject: string;
  readonly request: Q;
  readonly reply: R;
}

export type Contract = EventContract | RequestContract;

export type EventOf<C> = C extends EventContract<infer S> ? z.output<S> : never;
export type RequestOf<C> = C extends RequestContract<infer Q, z.ZodType> ? z.input<Q> : never;
export type ReplyOf<C> = C extends RequestContract<z.ZodType, infer R> ? z.output<R> : never;

export function defineEvent<S extends z.ZodType>(def: {
  name: string;
  pattern?: string;
  stream: AnyStreamName;
  schema: S;
  subject?: (payload: z.output<S>) => string;
  msgId: (payload: z.output<S>) => string;
}): EventContract<S> {
  const subject = def.subject ?? (() => def.name);
  return Object.freeze({ kind: 'event', pattern: def.pattern ?? def.name, ...def, subject });
}

export function defineRequest<Q extends z.ZodType, R extends z.ZodType>(def: {
  subject: string;
  request: Q;
  reply: R;
}): RequestContract<Q, R> {
  return Object.freeze({ kind: 'request', ...def });
}

/** True when a concrete NATS subject matches a subscription pattern (`*` one token, `>` the rest). */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}
