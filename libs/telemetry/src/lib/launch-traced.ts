import { startTelemetry, type TelemetryHandle } from './start-telemetry';

/**
 * An app's `main.ts` in one call: start OpenTelemetry, and only then load the app module (Nest and
 * the feature code), so that everything they do is traced. A start-up failure exits with code 1.
 *
 * @example launchTraced('audit', () => import('./service.js'));
 */
export function launchTraced(
  service: string,
  load: () => Promise<{ run(telemetry: TelemetryHandle): Promise<void> }>,
): void {
  const telemetry = startTelemetry({ serviceName: `runtrail-${service}` });
  load()
    .then(({ run }) => run(telemetry))
    .catch((error: unknown) => {
      process.stderr.write(`runtrail-${service} failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    });
}
