export * from './lib/config.error';
export * from './lib/config.loader';
export * from './lib/env-value.fragments';
export * from './lib/base-service.env';
export { looksSecret } from './lib/secret-value.redaction';
