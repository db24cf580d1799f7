import { startNatsServer } from '../lib/nats-server';
import { setGlobalResource } from './global-state';

/**
 * One nats-server (JetStream) for the whole test run. Its URL reaches the test workers through
 * `RUNTRAIL_TEST_NATS_URL`; each suite isolates itself with its own stream/subject names or a
 * fresh JetStream domain of names (see `uniqueName`).
 */
export default async function globalSetup(): Promise<void> {
  const nats = await startNatsServer();
  process.env['RUNTRAIL_TEST_NATS_URL'] = nats.url;
  setGlobalResource('nats', nats);
}
