import { connect, type NatsConnection } from '@nats-io/transport-node';
import { describeEachDatabase, startNatsServer, startTestEmulator, type AwsEmulator, type RunningNatsServer } from '@runtrail/testing';
import { gzipSync } from 'node:zlib';
import { ulid } from 'ulid';
import { AuditStoreHarness } from '../../spec/audit-store.harness';
import { CUSTOMER, CUSTOMER_ADMIN, REGION } from '../../spec/emulator-run.fixture';
import { loadS3Checkpoint, saveTrailSource, trailS3Progress } from '../trail-sources/trail-source.store';
import { PollerLease } from './poller-lease';
import { S3TrailReader } from './s3-trail-reader';
import { AwsTrailBucket } from './trail-bucket.client';
import { logKeyFloor, trailRegionFolder } from './trail-log-keys';

const BUCKET = 'acme-trail';
const FOLDER = trailRegionFolder(null, CUSTOMER, REGION);
const DAY = 24 * 3600_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A log file's key as CloudTrail names it, delivered at `at`, with its 16 "random" characters. */
const keyAt = (at: number, suffix: string) => `${logKeyFloor(FOLDER, CUSTOMER, REGION, at)}_${suffix.padEnd(16, '0')}.json.gz`;

/** A minimal CloudTrail record the emulator could have written. */
function record(eventID: string, at: number): Record<string, unknown> {
  return {
    eventVersion: '1.08', eventID, eventTime: new Date(at).toISOString().replace(/\.\d+Z$/, 'Z'), eventSource: 'sts.amazonaws.com',
    eventName: 'GetCallerIdentity', awsRegion: REGION, sourceIPAddress: '127.0.0.1', userAgent: 'spec', requestID: ulid(),
    eventType: 'AwsApiCall', recipientAccountId: CUSTOMER, readOnly: true, managementEvent: true,
    userIdentity: { type: 'IAMUser', principalId: 'AIDA2222', arn: `arn:aws:iam::${CUSTOMER}:user/admin`, accountId: CUSTOMER, accessKeyId: CUSTOMER_ADMIN.accessKeyId, userName: 'admin' },
  };
}

// The S3 reader alone (no service): its listing across day folders and late files, one reader per
// lease, and a takeover resuming from the checkpoint, against the emulator's trail bucket.
describeEachDatabase('S3 trail reader', (db) => {
  let nats: RunningNatsServer;
  let emulator: AwsEmulator;
  let audit: AuditStoreHarness;
  const connections: NatsConnection[] = [];
  const readers: S3TrailReader[] = [];
  const clients: AwsTrailBucket[] = [];
  // Two days ago, 23:58: the next minutes cross into the next day's folder.
  const base = Math.floor(Date.now() / DAY) * DAY - DAY - 2 * 60_000;
  const sourceId = ulid();

  async function reader(holder: string): Promise<S3TrailReader> {
    const nc = await connect({ servers: nats.url });
    connections.push(nc);
    const lease = await PollerLease.open(nc, `trail.${sourceId}.${REGION}`, holder, 3000);
    const bucket = new AwsTrailBucket(emulator.endpoint, CUSTOMER_ADMIN);
    clients.push(bucket);
    const r = new S3TrailReader(
      { accountId: CUSTOMER, region: REGION, owner: 'acme', overlapMs: 5 * 60_000, initialLookbackMs: 3 * DAY, intervalMs: 200, leaseTtlMs: 3000 },
      lease, bucket, () => ({ bucket: BUCKET, prefix: null }), audit.store.db, audit.ingest, trailS3Progress(audit.store.db, sourceId, REGION),
    );
    readers.push(r);
    return r;
  }
  const put = (key: string, ids: string[], at: number) => emulator.putTrailObject(BUCKET, key, gzipSync(JSON.stringify({ Records: ids.map((id) => record(id, at)) })), new Date(at));
  const stored = async (ids: string[]) =>
    audit.count(`select count(*) from "cloudtrail_event" where "event_id" in (${ids.map(() => '?').join(', ')})`, ids);
  /** Waits for the listing under way to end: the files it read are checkpointed by then. */
  const listed = async (r: S3TrailReader) => {
    const done = r.cycles.length;
    await waitFor(async () => r.cycles.length > done);
  };
  const waitFor = async (check: () => Promise<boolean>) => {
    const until = Date.now() + 15_000;
    while (!(await check())) {
      if (Date.now() > until) throw new Error('condition not met in time');
      await sleep(100);
    }
  };

  beforeAll(async () => {
    // The setup step makes the lease bucket; its TTL is the one these readers run with.
    nats = await startNatsServer({ setup: { auditLeaseTtlMs: 3000 } });
    emulator = await startTestEmulator({ flushIntervalMs: 3_600_000 });
    audit = await AuditStoreHarness.open(db.databaseUrl);
    const now = Date.now();
    await saveTrailSource(audit.store.db, {
      id: sourceId, account: 'acme', awsAccountId: CUSTOMER, regions: [REGION], roleArn: `arn:aws:iam::${CUSTOMER}:role/runtrail-trail-reader`,
      bucket: BUCKET, prefix: null, createdAt: now, updatedAt: now, verifiedAt: now,
    });
  });
  afterAll(async () => {
    for (const r of readers) await r.abandon();
    for (const c of clients) c.close();
    for (const nc of connections) await nc.close();
    await audit?.close();
    await emulator?.stop();
    await nats?.stop();
  });

  it("reads the next day's folder and a file delivered late into a minute it read, once each, with one reader per lease", async () => {
    const first = [`a-${ulid()}`, `b-${ulid()}`];
    put(keyAt(base, 'm'), first, base); // day D, 23:58
    const a = await reader('replica-a');
    const b = await reader('replica-b');
    a.start();
    await sleep(300);
    b.start();
    await waitFor(async () => (await stored(first)) === 2);
    await listed(a);
    expect(await loadS3Checkpoint(audit.store.db, sourceId, REGION)).toEqual({ key: keyAt(base, 'm'), ms: base });

    const nextDay = [`c-${ulid()}`];
    const late = [`d-${ulid()}`];
    put(keyAt(base + 3 * 60_000, 'x'), nextDay, base + 3 * 60_000); // D+1, 00:01: another folder
    put(keyAt(base, 'a'), late, base + 4 * 60_000); // delivered now, named in 23:58, sorting before the checkpoint
    await waitFor(async () => (await stored([...nextDay, ...late])) === 2);
    await listed(a);
    expect((await loadS3Checkpoint(audit.store.db, sourceId, REGION)).key).toBe(keyAt(base + 3 * 60_000, 'x'));
    expect(keyAt(base + 3 * 60_000, 'x')).toContain(new Date(base + DAY).toISOString().slice(0, 10).replace(/-/g, '/'));

    expect([a.leader, b.leader]).toEqual([true, false]);
    expect(b.cycles).toEqual([]);
    // Each file was fetched once: the overlap lists them again, the reader's memory skips them.
    await sleep(600);
    expect(emulator.requestCounts({ action: 'GetObject', accountId: CUSTOMER }).reduce((n, c) => n + c.count, 0)).toBe(3);
    expect(a.cycles.reduce((n, c) => n + c.files, 0)).toBe(3);
  });

  it('is taken over by a standby when the holder dies, which resumes from the checkpoint', async () => {
    const [a, b] = readers as [S3TrailReader, S3TrailReader];
    await a.abandon(); // killed: only the lease TTL frees it
    const after = [`e-${ulid()}`];
    put(keyAt(base + 5 * 60_000, 'y'), after, base + 5 * 60_000);
    await waitFor(async () => b.leader && b.cycles.length > 0 && (await stored(after)) === 1);
    // The standby had read nothing: it reads the overlap again, whose events are already stored.
    expect(b.cycles[0]?.inserted).toBe(1);
    expect(await audit.count(`select count(*) from "cloudtrail_event"`)).toBe(5);
    const [row] = await audit.store.db.all(`select "events_ingested", "last_error" from "trail_source_region" where "source_id" = ?`, [sourceId]);
    expect([Number(row?.['events_ingested']), row?.['last_error']]).toEqual([5, null]);
  });
});
