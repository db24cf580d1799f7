export { IntegrationsModule } from './lib/integrations.module';
export { integrationsEnv, type IntegrationsEnv } from './lib/integrations.env';
