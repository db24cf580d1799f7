import { applyDecorators, UseFilters } from '@nestjs/common';
import { EventPattern, MessagePattern } from '@nestjs/microservices';
import { RpcPassthroughFilter } from './rpc-passthrough.filter';
import type { EventContract, RequestContract } from '@runtrail/contracts';

/** How a durable JetStream consumer behind an `@OnEvent` handler is configured. */
export interface EventHandlerOptions {
  /** Durable consumer name, shared by every replica of the service (they split the messages). */
  durable: string;
  /** Deliveries before a message is given up and dead-lettered. Default 5. */
  maxDeliver?: number;
  /** How long a delivery may stay unacknowledged before redelivery. Default 30 s. */
  ackWaitMs?: number;
  /** Messages processed at once by one replica. Default 64. */
  concurrency?: number;
  /** Redelivery delay after a transient failure: exponential from `baseMs`, capped at `maxMs`. */
  backoff?: { baseMs: number; maxMs: number };
  /** Where a new durable consumer starts: every retained message (default) or only new ones. */
  deliverPolicy?: 'all' | 'new';
}

export interface EventHandlerExtras {
  contract: EventContract;
  consumer: EventHandlerOptions;
}

export interface RequestHandlerExtras {
  contract: RequestContract;
  /** Queue group, so that replicas share requests. Default: the subject. */
  queue?: string;
}

/**
 * A JetStream event handler: validated payload in, ack on success, nak/dead-letter on failure.
 * Errors reach the transport unchanged (see {@link RpcPassthroughFilter}).
 */
export function OnEvent(contract: EventContract, options: EventHandlerOptions): MethodDecorator {
  if (/[{}]/.test(contract.pattern)) {
    throw new Error(`${contract.name} is a publish-only contract; consume it through its union contract`);
  }
  const extras: EventHandlerExtras = { contract, consumer: options };
  return applyDecorators(EventPattern(contract.pattern, extras), UseFilters(RpcPassthroughFilter));
}

/** A core NATS request handler: validated request in, validated reply (or typed error) out. */
export function OnRequest(contract: RequestContract, options: { queue?: string } = {}): MethodDecorator {
  const extras: RequestHandlerExtras = { contract, ...options };
  return applyDecorators(MessagePattern(contract.subject, extras), UseFilters(RpcPassthroughFilter));
}
