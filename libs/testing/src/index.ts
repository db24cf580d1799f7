export * from './lib/free-port';
export * from './lib/nats-server';
export * from './lib/names';
export * from './lib/postgres-cluster';
export * from './lib/test-postgres';
export * from './lib/describe-each-database';
export * from './lib/aws-emulator';
export * from './lib/datasets';
