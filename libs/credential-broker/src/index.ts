export { CredentialBrokerModule, type CredentialBrokerModuleOptions } from './lib/credential-broker.module';
export { credentialBrokerEnv, type CredentialBrokerEnv } from './lib/credential-broker.env';
export { credentialBrokerPersistence } from './lib/credential-broker.persistence';
export { StsAdapter } from './lib/sts/sts.adapter';
export { Clock, SystemClock } from './lib/clock';
export { RUN_EVENT_CONSUMER } from './lib/issue/run-event.consumer';
export { OidcTokenBatcher, type OidcTokenBatcherOptions } from './lib/issue/oidc-token.batcher';
