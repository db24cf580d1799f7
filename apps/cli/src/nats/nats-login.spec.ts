import { natsLoginOf } from './nats-login';
import { parseNatsSetupOptions } from './nats-setup.command';

const URL = 'nats://127.0.0.1:4222';

describe('natsLoginOf', () => {
  it("logs a pool user in with its own inbox prefix, the one auth.conf lets it subscribe to", () => {
    const login = natsLoginOf({}, { NATS_URL: URL, NATS_USER: 'worker-pool-default', NATS_PASSWORD: 'p' });
    expect(login).toEqual({
      servers: [URL],
      user: 'worker-pool-default',
      pass: 'p',
      credsFile: undefined,
      inboxPrefix: '_INBOX_worker-pool-default',
    });
  });

  it('takes a credentials file and an explicit prefix from the flags', () => {
    const login = natsLoginOf({ 'nats-creds': '/etc/runtrail/pool.creds', 'nats-inbox-prefix': '_INBOX_pool' }, { NATS_URL: URL });
    expect(login).toMatchObject({ credsFile: '/etc/runtrail/pool.creds', inboxPrefix: '_INBOX_pool', user: undefined });
  });

  it('refuses half a password login, two logins at once, and a prefix that is not one token', () => {
    expect(() => natsLoginOf({}, { NATS_URL: URL, NATS_USER: 'u' })).toThrow(/NATS_USER and NATS_PASSWORD go together/);
    expect(() => natsLoginOf({ 'nats-creds': 'f' }, { NATS_URL: URL, NATS_USER: 'u', NATS_PASSWORD: 'p' })).toThrow(
      /either --nats-creds/,
    );
    expect(() => natsLoginOf({ 'nats-inbox-prefix': '_INBOX.x' }, { NATS_URL: URL })).toThrow(/one subject token/);
    expect(() => natsLoginOf({ nats: 'http://nats.example' }, {})).toThrow(/--nats \/ NATS_URL/);
  });
});

describe('parseNatsSetupOptions', () => {
  it('reads replicas and workers from flags and the environment', () => {
    const options = parseNatsSetupOptions(['--worker', 'w-1', '--replicas', '3'], {
      NATS_URL: URL,
      RUNTRAIL_WORKERS: 'w-2, w-1',
    });
    expect(options).toMatchObject({ replicas: 3, workers: ['w-1', 'w-2'] });
  });

  it('refuses replicas outside 1-5 and a worker id that is not a subject token', () => {
    expect(() => parseNatsSetupOptions(['--replicas', '0'], { NATS_URL: URL })).toThrow(/1 to 5/);
    expect(() => parseNatsSetupOptions(['--worker', 'a.b'], { NATS_URL: URL })).toThrow(/worker id "a.b"/);
  });
});
