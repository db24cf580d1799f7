import { runService } from '@runtrail/bootstrap';
import { AuditModule, auditEnv } from '@runtrail/audit';

export function run(telemetry: { shutdown(): Promise<void> }): Promise<void> {
  return runService(
    { name: 'audit', env: auditEnv, defaultPort: 8085, modules: (env) => [AuditModule.forRoot(env)] },
    telemetry,
  );
}
