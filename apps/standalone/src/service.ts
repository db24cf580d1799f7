import { runService } from '@runtrail/bootstrap';
import { AuditModule, auditEnv } from '@runtrail/audit';
import { CredentialBrokerModule, credentialBrokerEnv } from '@runtrail/credential-broker';
import { IntegrationsModule, integrationsEnv } from '@runtrail/integrations';
import { OidcIssuerModule, oidcIssuerEnv } from '@runtrail/oidc-issuer';
import { VerifierModule, verifierEnv } from '@runtrail/verifier';

/** Every service's variables; each keeps its own database (SQLite file or PostgreSQL schema). */
const standaloneEnv = integrationsEnv
  .extend(verifierEnv.shape)
  .extend(credentialBrokerEnv.shape)
  .extend(oidcIssuerEnv.shape)
  .extend(auditEnv.shape)
  .extend({ SERVICE_NAME: integrationsEnv.shape.SERVICE_NAME.removeDefault().default('standalone') });

/** All five services in one process over one NATS connection: the embedded default. */
export function run(telemetry: { shutdown(): Promise<void> }): Promise<void> {
  return runService(
    {
      name: 'standalone',
      env: standaloneEnv,
      defaultPort: 8080,
      modules: (env) => [
        IntegrationsModule.forRoot(env),
        VerifierModule.forRoot(env),
        CredentialBrokerModule.forRoot(env),
        OidcIssuerModule.forRoot(env),
        AuditModule.forRoot(env),
      ],
    },
    telemetry,
  );
}
