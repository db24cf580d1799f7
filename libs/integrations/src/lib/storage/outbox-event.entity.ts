import { Entity, PrimaryKey, Property, type Opt } from '@mikro-orm/core';

/**
 * An event written in the same transaction as the change it describes, published afterwards by
 * the outbox relay. A row is deleted only after JetStream acknowledged it; a repeat after a crash
 * is dropped by JetStream's `Nats-Msg-Id` de-duplication.
 */
@Entity({ tableName: 'outbox_event' })
export class OutboxEvent {
  /** A monotonic ULID: rows are published in the order they were written. */
  @PrimaryKey({ type: 'string', length: 26 })
  id!: string;

  /** Which contract publishes it: `integration`, `attachment` or `health`. */
  @Property({ type: 'string', length: 16 })
  kind!: string;

  @Property({ type: 'json' })
  payload!: Record<string, unknown>;

  /** W3C `traceparent` the event is published in (the trace of the change that caused it), if any. */
  @Property({ type: 'string', length: 55, nullable: true })
  traceparent?: string | null;

  @Property({ type: 'integer' })
  attempts!: number;

  @Property({ type: 'string', length: 500, nullable: true })
  lastError?: string | null;

  @Property({ type: 'datetime', onCreate: () => new Date() })
  createdAt!: Date & Opt;
}
