import { z } from 'zod';
import { envInt, envUrl, isUrl } from './env-value.fragments';

/** Nest's log levels, most to least severe. */
export const LOG_LEVELS = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const NATS_PROTOCOLS = ['nats', 'tls', 'ws', 'wss'] as const;

/** `NATS_URL`: one server URL or a comma-separated list of a cluster's (`nats`, `tls`, `ws`, `wss`). */
export const natsUrl = z
  .string()
  .refine(
    (s) => s.split(',').every((server) => isUrl(server.trim(), NATS_PROTOCOLS)),
    'must be a nats://, tls://, ws:// or wss:// URL, or a comma-separated list of them',
  )
  .default('nats://127.0.0.1:4222');

/**
 * `DATABASE_URL`: `sqlite:<path>` (embedded) or `postgres://...` / `postgresql://...`. Left optional
 * here; the persistence lib decides what its absence means.
 */
export const databaseUrl = z
  .string()
  .refine(
    (s) => /^sqlite:.+$/s.test(s) || isUrl(s, ['postgres', 'postgresql']),
    'must be sqlite:<path>, postgres://... or postgresql://...',
  )
  .optional();

/** `PORT`: a TCP port. */
export const port = envInt({ min: 1, max: 65535 });

/** `HOST`: the address to listen on; loopback unless an operator opens it up. */
export const host = z
  .string()
  .regex(/^[^\s/]+$/, 'must be a host name or IP address')
  .default('127.0.0.1');

/** `LOG_LEVEL`: the least severe level logged. */
export const logLevel = z
  .enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })
  .default('log');

/** `OTEL_EXPORTER_OTLP_ENDPOINT`: where traces go; absent means tracing exports nowhere. */
export const otlpEndpoint = envUrl({ protocols: ['http', 'https'] }).optional();

/** `SERVICE_NAME`: how the service names itself in logs, traces and NATS connection names. */
export const serviceName = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,62}$/,
    'must be 1-63 lowercase letters, digits or dashes, starting with a letter',
  );

/**
 * Variables every runtrail service reads. Apps `.extend()` it with their own and give
 * `SERVICE_NAME` a default (`SERVICE_NAME: serviceName.default('audit')`); an app that serves
 * HTTP gives `PORT` one too.
 */
export const baseServiceEnv = z.object({
  NATS_URL: natsUrl,
  /** The service's own NATS user (deploy/nats/auth.conf); unset on an open local server. */
  NATS_USER: z.string().min(1).optional(),
  NATS_PASSWORD: z.string().min(1).optional(),
  /**
   * JetStream replicas: read by `runtrail nats setup` (services never create streams); audit's KV
   * bucket uses it only if it had to be created.
   */
  NATS_STREAM_REPLICAS: envInt({ min: 1, max: 5 }).default(1),
  DATABASE_URL: databaseUrl,
  PORT: port.optional(),
  HOST: host,
  LOG_LEVEL: logLevel,
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
  SERVICE_NAME: serviceName,
  /** REST requests per minute one API key may make (429 with Retry-After past it; per replica). */
  API_RATE_LIMIT_PER_KEY: envInt({ min: 1, max: 1_000_000 }).default(600),
  /** REST requests per minute all keys of one account may make together (per replica). */
  API_RATE_LIMIT_PER_ACCOUNT: envInt({ min: 1, max: 1_000_000 }).default(3000),
});
export type BaseServiceEnv = z.output<typeof baseServiceEnv>;
