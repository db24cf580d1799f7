import { runService } from '@runtrail/bootstrap';
import { CredentialBrokerModule, credentialBrokerEnv } from '@runtrail/credential-broker';

export function run(telemetry: { shutdown(): Promise<void> }): Promise<void> {
  return runService(
    { name: 'credential-broker', env: credentialBrokerEnv, defaultPort: 8083, modules: (env) => [CredentialBrokerModule.forRoot(env)] },
    telemetry,
  );
}
