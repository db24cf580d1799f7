export * from './lib/start-telemetry';
export * from './lib/test-tracing';
export * from './lib/launch-traced';
