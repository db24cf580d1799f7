import { Logger, type DynamicModule, type Type } from '@nestjs/common';
import { loadConfigOrExit, type BaseServiceEnv } from '@runtrail/config';
import type { z } from 'zod';
import { bootstrapService } from './bootstrap-service';

export interface ServiceApp<S extends z.ZodType<BaseServiceEnv>> {
  /** `integrations`, `verifier`, ... or `standalone`. */
  name: string;
  /** The app's environment schema (an extension of `baseServiceEnv`). */
  env: S;
  /** Port when `PORT` is not set. */
  defaultPort: number;
  /** The feature modules to run, configured from the validated environment. */
  modules(env: z.output<S>): Array<Type | DynamicModule>;
  /** Extra lines for the start banner (e.g. URLs a person may want). */
  banner?(env: z.output<S>, baseUrl: string): string[];
}

/**
 * What every app's `main.ts` does after telemetry started: validate the environment (exit 1 listing
 * every problem), start the service, print where it listens.
 */
export async function runService<S extends z.ZodType<BaseServiceEnv>>(
  app: ServiceApp<S>,
  telemetry?: { shutdown(): Promise<void> },
): Promise<void> {
  const env = loadConfigOrExit(app.env, app.name);
  const port = env.PORT ?? app.defaultPort;
  const nest = await bootstrapService({
    name: app.name,
    modules: app.modules(env),
    http: { host: env.HOST, port },
    nats: { servers: env.NATS_URL.split(',').map((s) => s.trim()), user: env.NATS_USER, pass: env.NATS_PASSWORD },
    logLevel: env.LOG_LEVEL,
    logFormat: process.env['LOG_FORMAT'] === 'json' ? 'json' : 'text',
    onShutdown: telemetry ? () => telemetry.shutdown() : undefined,
  });
  const baseUrl = `http://${env.HOST}:${port}`;
  const log = new Logger(app.name);
  log.log(`ready on ${baseUrl} (health: ${baseUrl}/health/ready)`);
  for (const line of app.banner?.(env, baseUrl) ?? []) log.log(line);

  // SIGTERM (Kubernetes, compose) and SIGINT (Ctrl-C): finish in-flight work, then exit 0.
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.log(`${signal}: stopping`);
    nest.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
