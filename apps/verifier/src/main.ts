// Telemetry first: Nest and the feature code load only after the SDK is started, so their work is traced.
import { startTelemetry } from '@runtrail/telemetry';

const telemetry = startTelemetry({ serviceName: 'runtrail-verifier' });

void import('./service.js').then(({ run }) => run(telemetry)).catch((error: unknown) => {
  console.error('runtrail-verifier failed to start:', error);
  process.exit(1);
});
