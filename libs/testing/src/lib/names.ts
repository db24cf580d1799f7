import { randomBytes } from 'node:crypto';

/** A name unique to this test (for streams, consumers, databases), safe as a NATS token. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** The shared test nats-server's URL, set by the global setup. */
export function testNatsUrl(): string {
  const url = process.env['RUNTRAIL_TEST_NATS_URL'];
  if (!url) throw new Error('RUNTRAIL_TEST_NATS_URL is not set: run tests through the root jest.config.js');
  return url;
}
