import './workspace-paths';
import { startNatsServer } from '../lib/nats-server';
import { startTestPostgres } from '../lib/test-postgres';
import { setGlobalResource, stopGlobalResources } from './global-state';

/**
 * One nats-server (JetStream) for the whole test run. Its URL reaches the test workers through
 * `RUNTRAIL_TEST_NATS_URL`; each suite isolates itself with its own stream/subject names or a
 * fresh JetStream domain of names (see `uniqueName`).
 *
 * One throwaway PostgreSQL cluster too, started alongside (about a second) when the binaries are
 * installed: `RUNTRAIL_TEST_POSTGRES_URL`; suites create their own databases in it.
 */
export default async function globalSetup(): Promise<void> {
  // Settled into a value at once: a failure must not surface as an unhandled rejection (which
  // kills Jest before anything is stopped) while nats-server is still starting.
  const postgres = startTestPostgres().then(
    (cluster) => {
      if (cluster) setGlobalResource('postgres', cluster);
      return undefined;
    },
    (error: unknown) => error ?? new Error('PostgreSQL did not start'),
  );
  try {
    const nats = await startNatsServer();
    process.env['RUNTRAIL_TEST_NATS_URL'] = nats.url;
    setGlobalResource('nats', nats);
  } catch (error) {
    await postgres;
    await stopGlobalResources();
    throw error;
  }
  const postgresFailure = await postgres;
  if (postgresFailure) {
    // Jest runs no teardown after a failed setup: stop what did start.
    await stopGlobalResources();
    throw postgresFailure;
  }
}
