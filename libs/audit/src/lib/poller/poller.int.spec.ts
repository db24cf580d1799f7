import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { describeEachDatabase, startNatsServer, startTestEmulator, type AwsEmulator, type RunningNatsServer } from '@runtrail/testing';
import { ulid } from 'ulid';
import { AuditStoreHarness } from '../../spec/audit-store.harness';
import { CUSTOMER, CUSTOMER_ADMIN, REGION, sts } from '../../spec/emulator-run.fixture';
import { AccountPoller, type AccountPollerSettings } from './account-poller';
import { AwsLookupEvents } from './lookup-events.client';
import { loadCheckpoint } from './poll-checkpoint';
import { PollerLease } from './poller-lease';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SETTINGS: Omit<AccountPollerSettings, 'accountId' | 'region'> = {
  intervalMs: 300, overlapMs: 5000, maxRps: 2, leaseTtlMs: 3000, initialLookbackMs: 10 * 60_000,
};

/** The largest number of requests that arrived within any 1-second window. */
function peakPerSecond(times: number[]): number {
  let peak = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while ((times[i] ?? 0) - (times[j] ?? 0) >= 1000) j++;
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}

describeEachDatabase('CloudTrail LookupEvents poller', (db) => {
  let nats: RunningNatsServer;
  let emulator: AwsEmulator;
  let audit: AuditStoreHarness;
  const connections: NatsConnection[] = [];
  const pollers: AccountPoller[] = [];

  async function poller(holder: string, key: string): Promise<AccountPoller> {
    const nc = await connect({ servers: nats.url });
    connections.push(nc);
    const lease = await PollerLease.open(nc, key, holder, SETTINGS.leaseTtlMs);
    const p = new AccountPoller({ ...SETTINGS, accountId: CUSTOMER, region: REGION }, lease,
      new AwsLookupEvents(emulator.endpoint, CUSTOMER_ADMIN), audit.store.db, audit.ingest);
    pollers.push(p);
    return p;
  }
  async function makeCalls(n: number): Promise<void> {
    const client = sts(emulator.endpoint, CUSTOMER_ADMIN);
    for (let i = 0; i < n; i++) await client.send(new GetCallerIdentityCommand({}));
  }
  const stored = () => audit.count(`select count(*) from "cloudtrail_event" where "event_name" = 'GetCallerIdentity'`);
  const emulated = () => emulator.events(CUSTOMER).filter((e) => (e as unknown as { eventName: string }).eventName === 'GetCallerIdentity').length;

  beforeAll(async () => {
    // The setup step makes the lease bucket; its TTL is the one these pollers run with.
    nats = await startNatsServer({ setup: { auditLeaseTtlMs: SETTINGS.leaseTtlMs } });
    // AWS's limit, enforced: a third request within a second would be refused with ThrottlingException.
    emulator = await startTestEmulator({ lookupThrottle: true });
    audit = await AuditStoreHarness.open(db.databaseUrl);
  });
  afterAll(async () => {
    for (const p of pollers) await p.abandon();
    for (const nc of connections) await nc.close();
    await audit?.close();
    await emulator?.stop();
    await nats?.stop();
  });

  it('reads every page, never exceeds 2 requests per second at the emulator, and checkpoints', async () => {
    await makeCalls(220);
    emulator.resetRequestCounts();
    const p = await poller('a', `${CUSTOMER}.${REGION}.${ulid()}`);
    p.start();
    while (p.windows.length < 1) await sleep(100);
    await p.stop();
    expect(p.windows[0]?.requests).toBeGreaterThanOrEqual(5); // 220+ events at 50 a page
    expect(await stored()).toBe(220);
    const times = emulator.requestTimes('LookupEvents', CUSTOMER, REGION);
    expect(times.length).toBeGreaterThanOrEqual(5);
    expect(peakPerSecond(times)).toBeLessThanOrEqual(2);
    expect(emulator.requestCounts({ action: 'LookupEvents' }).every((c) => c.count === times.length)).toBe(true);
    expect(await loadCheckpoint(audit.store.db, CUSTOMER, REGION)).toBe(p.windows[0]?.end.getTime());
  });

  it('resumes from the checkpoint after a restart, without gaps or duplicates', async () => {
    const checkpoint = await loadCheckpoint(audit.store.db, CUSTOMER, REGION);
    await makeCalls(30);
    const p = await poller('b', `${CUSTOMER}.${REGION}.${ulid()}`);
    p.start();
    while (p.windows.length < 1) await sleep(100);
    await p.stop();
    expect(p.windows[0]?.start.getTime()).toBe((checkpoint ?? 0) - SETTINGS.overlapMs);
    expect(await stored()).toBe(emulated());
    const ids = await audit.store.db.all(`select "event_id", count(*) as n from "cloudtrail_event" group by "event_id" having count(*) > 1`);
    expect(ids).toEqual([]);
  });

  it('has exactly one active poller per account and region; a standby takes over when the holder dies', async () => {
    const key = `${CUSTOMER}.${REGION}.${ulid()}`;
    const a = await poller('replica-a', key);
    const b = await poller('replica-b', key);
    a.start();
    await sleep(300);
    b.start();
    while (a.windows.length < 1) await sleep(100);
    expect([a.leader, b.leader]).toEqual([true, false]);
    emulator.resetRequestCounts();
    await a.abandon(); // killed: the lease is not released, only its TTL frees it
    await makeCalls(10);
    const deadline = Date.now() + 15_000;
    while (!b.leader && Date.now() < deadline) await sleep(100);
    expect(b.leader).toBe(true);
    while ((await stored()) < emulated() && Date.now() < deadline + 5000) await sleep(200);
    expect(await stored()).toBe(emulated());
    expect(peakPerSecond(emulator.requestTimes('LookupEvents', CUSTOMER, REGION))).toBeLessThanOrEqual(2);
    await b.stop();
  });
});
