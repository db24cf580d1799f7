import type { EntityManager } from '@mikro-orm/core';
import type {
  AdminEvent,
  AttachmentChanged,
  IntegrationChanged,
  IntegrationHealthChanged,
  RunPhaseChanged,
} from '@runtrail/contracts';
import { monotonicFactory } from 'ulid';
import { OutboxEvent } from '../storage/outbox-event.entity';
import { traceparentOf } from './trace-context';

const nextId = monotonicFactory();

/** An event to publish once the transaction that caused it has committed. */
export type PendingEvent =
  | { kind: 'integration'; payload: IntegrationChanged }
  | { kind: 'attachment'; payload: AttachmentChanged }
  | { kind: 'health'; payload: IntegrationHealthChanged }
  | { kind: 'run'; payload: RunPhaseChanged }
  | { kind: 'admin'; payload: AdminEvent };

/**
 * Adds `event` to the outbox inside the caller's transaction, so it exists if and only if the change
 * does. It is published in the trace `traceparent` names (default: the active one, the request that
 * made the change).
 */
export function enqueue(em: EntityManager, event: PendingEvent, traceparent: string | null = traceparentOf()): void {
  em.create(OutboxEvent, {
    id: nextId(),
    kind: event.kind,
    payload: { ...event.payload },
    traceparent,
    attempts: 0,
    lastError: null,
  });
}
