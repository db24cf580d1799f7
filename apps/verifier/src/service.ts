import { runService } from '@runtrail/bootstrap';
import { VerifierModule, verifierEnv } from '@runtrail/verifier';

export function run(telemetry: { shutdown(): Promise<void> }): Promise<void> {
  return runService(
    { name: 'verifier', env: verifierEnv, defaultPort: 8082, modules: (env) => [VerifierModule.forRoot(env)] },
    telemetry,
  );
}
