import { toRuntrailError } from './database-errors';

describe('toRuntrailError on a lost database connection', () => {
  it.each([
    ['pg after a restart', Object.assign(new Error('Connection terminated unexpectedly'), {})],
    ['refused while the server is down', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['the server shutting down', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['an exhausted pool', Object.assign(new Error('Knex: Timeout acquiring a connection.'), { name: 'KnexTimeoutError' })],
  ])('is UNAVAILABLE and transient (%s), so the message is retried, not dead-lettered', (_case, error) => {
    const mapped = toRuntrailError(error, 'run 01J');
    expect(mapped.code).toBe('UNAVAILABLE');
    expect(mapped.transient).toBe(true);
    expect(mapped.message).toBe('the database is unavailable while storing run 01J; retry later');
  });

  it('keeps an unknown error INTERNAL', () => {
    expect(toRuntrailError(new Error('something else'), 'run 01J').code).toBe('INTERNAL');
  });
});
