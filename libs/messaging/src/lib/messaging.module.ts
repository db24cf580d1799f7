import { Global, Inject, Injectable, Logger, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { ConsumerHealth } from './consumer-health';
import { MessageBus } from './message-bus';
import { connectNats, NATS_CONNECTION, openServerWarning, type NatsConnectionOptions } from './nats-connection';

async function connectAndWarn(options: NatsConnectionOptions): Promise<NatsConnection> {
  const nc = await connectNats(options);
  const warning = openServerWarning(nc);
  if (warning) new Logger('Messaging').warn(warning);
  return nc;
}

/** Readiness of the NATS connection (found by the health endpoint through its `readinessName`). */
@Injectable()
export class NatsHealth implements OnApplicationShutdown {
  readonly readinessName = 'nats';
  private readonly log = new Logger('Messaging');

  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  async isReady(): Promise<boolean> {
    if (this.nc.isClosed() || this.nc.isDraining()) return false;
    try {
      await this.nc.flush();
      return true;
    } catch {
      return false;
    }
  }

  /** Runs after the transport server closed: lets pending publishes and replies out, then disconnects. */
  async onApplicationShutdown(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.drain().catch((error: Error) => this.log.warn(`NATS drain: ${error.message}`));
  }
}

/**
 * One NATS connection per process (the `standalone` app shares it across all five services), the
 * typed {@link MessageBus}, and readiness of NATS and of the JetStream consumers ({@link ConsumerHealth},
 * handed to the process's `JetStreamServer`).
 */
@Global()
@Module({})
export class MessagingModule {
  static forRoot(options: NatsConnectionOptions): DynamicModule {
    return {
      module: MessagingModule,
      providers: [
        { provide: NATS_CONNECTION, useFactory: () => connectAndWarn(options) },
        { provide: MessageBus, useFactory: (nc: NatsConnection) => new MessageBus(nc), inject: [NATS_CONNECTION] },
        NatsHealth,
        { provide: ConsumerHealth, useFactory: () => new ConsumerHealth() },
      ],
      exports: [NATS_CONNECTION, MessageBus, NatsHealth, ConsumerHealth],
    };
  }
}
