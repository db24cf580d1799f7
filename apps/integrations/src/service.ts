import { runService } from '@runtrail/bootstrap';
import { IntegrationsModule, integrationsEnv } from '@runtrail/integrations';

export function run(telemetry: { shutdown(): Promise<void> }): Promise<void> {
  return runService(
    { name: 'integrations', env: integrationsEnv, defaultPort: 8081, modules: (env) => [IntegrationsModule.forRoot(env)] },
    telemetry,
  );
}
