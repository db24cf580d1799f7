import { z } from 'zod';
import {
  baseServiceEnv,
  databaseUrl,
  host,
  logLevel,
  natsUrl,
  otlpEndpoint,
  port,
  serviceName,
  type LogLevel,
} from './base-service.env';
import { loadConfig } from './config.loader';
import { envBoolean, envDurationSeconds } from './env-value.fragments';

describe('shared variables', () => {
  it.each([
    'nats://127.0.0.1:4222',
    'tls://nats.internal:4222',
    'nats://user:pass@nats-0:4222',
    'nats://nats-0:4222,nats://nats-1:4222, nats://nats-2:4222',
    'wss://nats.example.com',
  ])('NATS_URL accepts %p', (value) => {
    expect(natsUrl.parse(value)).toBe(value);
  });

  it.each(['http://nats:4222', 'nats-0:4222', 'nats://a:4222,', 'nats://'])(
    'NATS_URL refuses %p',
    (value) => {
      expect(natsUrl.safeParse(value).success).toBe(false);
    },
  );

  it.each([
    'sqlite:.data/broker.sqlite',
    'sqlite::memory:',
    'postgres://runtrail@db:5432/audit',
    'postgresql://u:p@db/audit?sslmode=require',
  ])('DATABASE_URL accepts %p', (value) => {
    expect(databaseUrl.parse(value)).toBe(value);
  });

  it.each(['sqlite:', 'mysql://db/x', '.data/broker.sqlite', 'postgres://'])(
    'DATABASE_URL refuses %p',
    (value) => {
      expect(databaseUrl.safeParse(value).error?.issues[0]?.message).toBe(
        'must be sqlite:<path>, postgres://... or postgresql://...',
      );
    },
  );

  it('PORT is 1..65535', () => {
    expect(port.parse('1')).toBe(1);
    expect(port.parse('65535')).toBe(65535);
    expect(port.safeParse('0').success).toBe(false);
    expect(port.safeParse('65536').success).toBe(false);
  });

  it('HOST is one host name or address', () => {
    expect(host.parse('0.0.0.0')).toBe('0.0.0.0');
    expect(host.parse('::1')).toBe('::1');
    expect(host.safeParse('two words').success).toBe(false);
  });

  it('LOG_LEVEL is one of the Nest levels', () => {
    expect(logLevel.parse('verbose')).toBe('verbose');
    expect(logLevel.safeParse('info').error?.issues[0]?.message).toBe(
      'must be one of error, warn, log, debug, verbose',
    );
  });

  it('OTEL_EXPORTER_OTLP_ENDPOINT is an http(s) URL', () => {
    expect(otlpEndpoint.parse('http://127.0.0.1:4318')).toBe('http://127.0.0.1:4318');
    expect(otlpEndpoint.safeParse('grpc://collector:4317').success).toBe(false);
  });

  it('SERVICE_NAME is a lowercase slug', () => {
    expect(serviceName.parse('credential-broker')).toBe('credential-broker');
    expect(serviceName.safeParse('Credential Broker').success).toBe(false);
  });
});

describe('baseServiceEnv', () => {
  it('applies the defaults of a development machine', () => {
    expect(loadConfig(baseServiceEnv, { SERVICE_NAME: 'verifier' })).toEqual({
      NATS_URL: 'nats://127.0.0.1:4222',
      NATS_STREAM_REPLICAS: 1,
      API_RATE_LIMIT_PER_KEY: 600,
      API_RATE_LIMIT_PER_ACCOUNT: 3000,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'log',
      SERVICE_NAME: 'verifier',
    });
  });

  it('is extended by an app with its own variables and defaults, typed', () => {
    const brokerEnv = baseServiceEnv.extend({
      SERVICE_NAME: serviceName.default('credential-broker'),
      PORT: port.default(3000),
      SESSION_TAGGING: envBoolean().default(false),
      MAX_SESSION: envDurationSeconds({ min: 900, max: 43200 }).default(3600),
      KEK: z.string().min(32, 'must be at least 32 characters'),
    });
    const config = loadConfig(brokerEnv, {
      KEK: 'k'.repeat(32),
      SESSION_TAGGING: '1',
      MAX_SESSION: '2h',
      LOG_LEVEL: 'debug',
    });

    const level: LogLevel = config.LOG_LEVEL;
    const portNumber: number = config.PORT;
    const tagging: boolean = config.SESSION_TAGGING;
    // @ts-expect-error DATABASE_URL is optional, so it is not a plain string
    const url: string = config.DATABASE_URL;
    expect({ level, portNumber, tagging, url, name: config.SERVICE_NAME, max: config.MAX_SESSION }).toEqual({
      level: 'debug',
      portNumber: 3000,
      tagging: true,
      url: undefined,
      name: 'credential-broker',
      max: 7200,
    });
  });
});
