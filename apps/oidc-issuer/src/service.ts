import { runService } from '@runtrail/bootstrap';
import { OidcIssuerModule, oidcIssuerEnv } from '@runtrail/oidc-issuer';

export function run(telemetry: { shutdown(): Promise<void> }): Promise<void> {
  return runService(
    { name: 'oidc-issuer', env: oidcIssuerEnv, defaultPort: 8084, modules: (env) => [OidcIssuerModule.forRoot(env)] },
    telemetry,
  );
}
