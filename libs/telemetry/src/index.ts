export * from './lib/start-telemetry';
export * from './lib/test-tracing';
