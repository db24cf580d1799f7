import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { context } from '@opentelemetry/api';
import {
  AdminEventRecorded,
  AttachmentChangedEvent,
  IntegrationChangedEvent,
  IntegrationHealthChangedEvent,
  RunPhaseChangedEvent,
  type EventContract,
} from '@runtrail/contracts';
import { MessageBus } from '@runtrail/messaging';
import { InjectEntityManager } from '@runtrail/persistence';
import { OutboxEvent } from '../storage/outbox-event.entity';
import { contextOfTraceparent } from './trace-context';

/** How often the relay polls, in ms (a write also wakes it at once). */
export const OUTBOX_INTERVAL = Symbol('OUTBOX_INTERVAL');

const CONTRACTS: Record<string, EventContract> = {
  integration: IntegrationChangedEvent,
  attachment: AttachmentChangedEvent,
  health: IntegrationHealthChangedEvent,
  run: RunPhaseChangedEvent,
  admin: AdminEventRecorded,
};
const BATCH = 100;

/**
 * Publishes outbox rows in order and deletes each after JetStream acknowledged it. A failed
 * publish stops the batch (later events must not overtake it) and is retried on the next tick,
 * so an unreachable NATS delays events but never loses them. Several replicas may publish the
 * same row; the deterministic `Nats-Msg-Id` makes JetStream keep one.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('IntegrationsOutbox');
  private timer?: NodeJS.Timeout;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    @InjectEntityManager('integrations') private readonly em: EntityManager,
    private readonly bus: MessageBus,
    @Inject(OUTBOX_INTERVAL) private readonly intervalMs: number,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.wake(), this.intervalMs);
    this.timer.unref();
    this.wake();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Drains soon; calls while a drain runs make it go round once more. Resolves when that drain ends. */
  wake(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.drainLoop().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async drainLoop(): Promise<void> {
    do {
      this.again = false;
      await this.drainOnce().catch((error: unknown) =>
        this.log.warn(`outbox drain failed: ${describe(error)}`),
      );
    } while (this.again);
  }

  /** Publishes up to one batch; true when everything pending went out. */
  async drainOnce(): Promise<boolean> {
    const em = this.em.fork();
    const rows = await em.find(OutboxEvent, {}, { orderBy: { id: 'asc' }, limit: BATCH });
    for (const row of rows) {
      const contract = CONTRACTS[row.kind];
      try {
        if (!contract) throw new Error(`unknown outbox kind ${row.kind}`);
        // In the trace of the change that wrote the row (a run's phase: the run's trace).
        await context.with(contextOfTraceparent(row.traceparent), () => this.bus.publish(contract, row.payload));
      } catch (error) {
        await em.nativeUpdate(
          OutboxEvent,
          { id: row.id },
          { attempts: row.attempts + 1, lastError: describe(error).slice(0, 500) },
        );
        this.log.warn(
          `event ${row.kind} ${row.id} not published yet (attempt ${row.attempts + 1}): ${describe(error)}`,
        );
        return false;
      }
      await em.nativeDelete(OutboxEvent, { id: row.id });
    }
    if (rows.length === BATCH) this.again = true;
    return rows.length < BATCH;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
