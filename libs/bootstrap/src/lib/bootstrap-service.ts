import {
  Module,
  type DynamicModule,
  type INestApplication,
  type LogLevel,
  type OnApplicationShutdown,
  type Type,
} from '@nestjs/common';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import {
  ConsumerHealth,
  JetStreamServer,
  MessagingModule,
  NATS_CONNECTION,
  type NatsConnectionOptions,
} from '@runtrail/messaging';
import type { NatsConnection } from '@nats-io/transport-node';
import { hostname } from 'node:os';
import { HealthController, HealthService } from './health.controller';
import { serveMetrics } from './metrics.route';
import { ServiceLogger } from './service-logger';
import { ProblemJsonFilter } from './problem-json.filter';
import { DeferredBodyErrorInterceptor, strictJsonBody } from './strict-json-body';

export interface ServiceDefinition {
  /** `integrations`, `verifier`, ... or `standalone`. */
  name: string;
  /** The feature modules this process runs (one, or all five for standalone). */
  modules: Array<Type | DynamicModule>;
  http: { host: string; port: number };
  nats: Omit<NatsConnectionOptions, 'name'>;
  logLevel?: LogLevel;
  logFormat?: 'text' | 'json';
  /** Runs last on shutdown, after NATS drained (e.g. flushing telemetry). */
  onShutdown?: () => Promise<void>;
}

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** The levels at and above `level`, the way operators expect LOG_LEVEL to work. */
export function levelsFrom(level: LogLevel): LogLevel[] {
  return LEVELS.slice(0, LEVELS.indexOf(level) + 1);
}

/**
 * The HTTP rules of every runtrail API: JSON bodies only ({@link strictJsonBody}), refused after the
 * route's authentication, and every error, the framework's included, as problem+json.
 */
export function configureHttp(app: INestApplication): void {
  app.use(strictJsonBody());
  app.useGlobalInterceptors(new DeferredBodyErrorInterceptor());
  app.useGlobalFilters(new ProblemJsonFilter());
}

/**
 * Starts one runtrail process: the feature modules, one NATS connection shared by the JetStream
 * transport and the bus, `/health/live` + `/health/ready`. `app.close()` shuts down gracefully
 * (stop consuming, finish in-flight messages, drain NATS, close databases).
 */
export async function bootstrapService(def: ServiceDefinition): Promise<INestApplication> {
  @Module({
    imports: [
      DiscoveryModule,
      MessagingModule.forRoot({ ...def.nats, name: `${def.name}@${hostname()}`, inboxPrefix: `_INBOX_${def.name}` }),
      ...def.modules,
    ],
    controllers: [HealthController],
    providers: [HealthService],
  })
  class ServiceRootModule implements OnApplicationShutdown {
    async onApplicationShutdown(): Promise<void> {
      await def.onShutdown?.();
    }
  }

  const logger = new ServiceLogger({
    prefix: `runtrail:${def.name}`,
    json: def.logFormat === 'json',
    logLevels: levelsFrom(def.logLevel ?? 'log'),
  });
  const app = await NestFactory.create(ServiceRootModule, { logger, bufferLogs: true, bodyParser: false });
  serveMetrics(app);
  configureHttp(app);
  const nc = app.get<NatsConnection>(NATS_CONNECTION);
  app.connectMicroservice(
    { strategy: new JetStreamServer(nc, { health: app.get(ConsumerHealth) }) },
    { inheritAppConfig: false },
  );
  await app.startAllMicroservices();
  await app.listen(def.http.port, def.http.host);
  return app;
}
