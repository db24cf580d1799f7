export * from './lib/start-telemetry';
export * from './lib/test-tracing';
export * from './lib/launch-traced';
export * from './lib/trace-ids';
export * from './lib/metrics/runtrail-metrics';
export * from './lib/test-metrics';
