export { IntegrationsModule } from './lib/integrations.module';
export { integrationsPersistence } from './lib/integrations.persistence';
export { integrationsEnv, type IntegrationsEnv } from './lib/integrations.env';
export { OutboxRelay } from './lib/outbox/outbox.relay';
export { ReverifyScheduler } from './lib/verification/reverify.scheduler';
export { openApiDocument } from './lib/openapi/openapi.document';
export { API_KEY_PREFIX } from './lib/auth/api-key.codec';
