export * from './lib/start-telemetry';
export * from './lib/test-tracing';
export * from './lib/launch-traced';
export * from './lib/trace-ids';
export { awsRequestAttributes, runtrailInstrumentations } from './lib/instrumentations';
export * from './lib/metrics/runtrail-metrics';
export * from './lib/test-metrics';
