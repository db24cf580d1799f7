export { CredentialBrokerModule } from './lib/credential-broker.module';
export { credentialBrokerEnv, type CredentialBrokerEnv } from './lib/credential-broker.env';
