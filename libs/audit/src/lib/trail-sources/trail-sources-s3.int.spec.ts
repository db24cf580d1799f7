import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { TemporaryCredentials } from '@runtrail/aws-sts';
import { CredentialsIssuedEvent, RunPhaseChangedEvent, type TrailSourceView, type VerifyCheck } from '@runtrail/contracts';
import {
  captureProcessOutput,
  DEFAULT_EMULATOR_SEED,
  describeEachDatabase,
  freePort,
  startNatsServer,
  startTestEmulator,
  type AwsEmulator,
  type RunningNatsServer,
  type Seed,
  type CapturedOutput,
} from '@runtrail/testing';
import { gzipSync } from 'node:zlib';
import { ulid } from 'ulid';
import { AuditApp, eventually, workerPublicKey } from '../../spec/audit-app.harness';
import { assumeForRun, CUSTOMER, CUSTOMER_ADMIN, DEMO_ROLE, e2eSeed, iam, PLATFORM, REGION, sts } from '../../spec/emulator-run.fixture';
import { AwsTrailBucket } from '../poller/trail-bucket.client';
import type { RunTimeline } from '../queries/run-timeline.query';
import { PollerService } from '../service/poller.service';
import { AuditDb } from '../storage/audit-db';
import { TrailAws } from './reader-sessions';

type Problem = { code: string; checks?: VerifyCheck[]; permissionStatements?: Array<{ Action: string }> };
const BUCKET = 'acme-trail';
const READER_ROLE = `arn:aws:iam::${CUSTOMER}:role/runtrail-trail-reader`;
const FOLDER = `AWSLogs/${CUSTOMER}/CloudTrail/${REGION}/`;
const CALLER = { type: 'stack' as const, id: ulid(), slug: 'network' };
const TRUST = { StringLike: { 'sts:ExternalId': 'acme@trail-source@*' } };

// S3 delivery: a source with a bucket is read from its trail bucket (not LookupEvents), verified for
// s3-read at save, resumes from its checkpoint, reads files delivered late, survives corrupt ones,
// switches with its bucket, and never keeps or logs its reader's credentials.
describeEachDatabase('audit: trail sources read through S3 delivery on the aws-emulator', (db) => {
  let nats: RunningNatsServer;
  let emulator: AwsEmulator;
  let audit: AuditApp;
  let admin: string;
  let source: TrailSourceView;
  const apps: AuditApp[] = [];
  const issuedToAudit: TemporaryCredentials[] = [];
  let output: CapturedOutput | undefined;

  const start = async () => {
    const app = await AuditApp.start({
      natsUrl: nats.url, port: await freePort(),
      vars: { DATABASE_URL: db.databaseUrl, AWS_ENDPOINT_URL: emulator.endpoint, AUDIT_POLL_INTERVAL_MS: '1000', AUDIT_LEASE_TTL_MS: '3000' },
      module: { platformCredentials: PLATFORM, trailVerifyRetry: { attempts: 2, baseDelayMs: 100, maxDelayMs: 100 } },
    });
    apps.push(app);
    // Every session this audit obtains, as STS returned it: what the last test must never find stored or logged.
    const sts = app.app.get(TrailAws).sts;
    const assume = sts.assumeRole.bind(sts);
    jest.spyOn(sts, 'assumeRole').mockImplementation(async (input) => {
      const credentials = await assume(input);
      issuedToAudit.push(credentials);
      return credentials;
    });
    admin = app.addKey({ account: 'acme', role: 'admin', spaceSubtree: null, visibleSpaces: null });
    return app;
  };
  const send = async <T>(method: string, path: string, body?: unknown) => {
    const response = await fetch(`${audit.baseUrl}${path}`, {
      method, headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json().catch(() => undefined)) as T };
  };
  const region = async () => {
    const [row] = await audit.app.get(AuditDb).all(`select * from "trail_source_region" where "source_id" = ?`, [source.id]);
    return { key: row?.['s3_checkpoint_key'] as string | null, ingested: Number(row?.['events_ingested'] ?? 0), success: Number(row?.['last_success_at'] ?? 0) };
  };
  const storedIds = async () => (await audit.app.get(AuditDb).all(`select "event_id" from "cloudtrail_event"`)).map((r) => String(r['event_id']));
  const listKeys = async () => {
    const s3 = new AwsTrailBucket(emulator.endpoint, CUSTOMER_ADMIN);
    try {
      return (await s3.list({ region: REGION, bucket: BUCKET, prefix: FOLDER })).objects.map((o) => o.key);
    } finally {
      s3.close();
    }
  };
  /** A gzip log file holding `records`, as CloudTrail writes them. */
  const logFile = (records: unknown[]) => gzipSync(JSON.stringify({ Records: records }));
  /** A GetCallerIdentity in the customer account, recorded by the emulator and delivered by its next flush. */
  const customerCall = async () => {
    await sts(emulator.endpoint, CUSTOMER_ADMIN).send(new GetCallerIdentityCommand({}));
    const events = emulator.events(CUSTOMER);
    return (events[events.length - 1] as { eventID: string }).eventID;
  };

  beforeAll(async () => {
    // Every line the processes write, to prove no reader credential is ever logged.
    output = captureProcessOutput();
    nats = await startNatsServer();
    // Log files are delivered when the tests flush them, never on their own.
    emulator = await startTestEmulator({ seed: e2eSeed<Seed>(DEFAULT_EMULATOR_SEED), flushIntervalMs: 3_600_000 });
    audit = await start();
  });
  afterAll(async () => {
    output?.restore();
    for (const app of apps.reverse()) await app.close().catch(() => undefined);
    await emulator?.stop();
    await nats?.stop();
  });

  it('refuses a source whose role may not list the bucket, with s3-read and the statements to paste', async () => {
    const name = `reader-nos3-${ulid().slice(-8).toLowerCase()}`;
    const client = iam(emulator.endpoint, CUSTOMER_ADMIN);
    try {
      await client.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: 'sts:AssumeRole', Condition: TRUST }],
      }) }));
      await client.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'lookup-only', PolicyDocument: JSON.stringify({
        Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'cloudtrail:LookupEvents', Resource: '*' }],
      }) }));
    } finally {
      client.destroy();
    }
    const refused = await send<Problem>('POST', '/v1/audit/trail-sources',
      { awsAccountId: CUSTOMER, regions: [REGION], roleArn: `arn:aws:iam::${CUSTOMER}:role/${name}`, bucket: BUCKET });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('UNSAFE_TRUST_POLICY');
    expect(refused.body.checks?.filter((c) => c.status === 'fail').map((c) => c.check)).toEqual(['s3-read']);
    expect(refused.body.checks?.find((c) => c.check === 's3-read')?.message).toContain(`s3://${BUCKET}/${FOLDER}`);
    expect(refused.body.permissionStatements?.map((s) => s.Action)).toEqual(['cloudtrail:LookupEvents', 's3:GetObject', 's3:ListBucket']);
    expect((await send<{ items: unknown[] }>('GET', '/v1/audit/trail-sources')).body.items).toEqual([]);
  });

  it("ingests a run's calls from the trail bucket, not LookupEvents, for the source's account, and checkpoints the last key", async () => {
    const created = await send<TrailSourceView>('POST', '/v1/audit/trail-sources', { awsAccountId: CUSTOMER, regions: [REGION], roleArn: READER_ROLE, bucket: BUCKET });
    expect(created.status).toBe(201);
    source = created.body;
    // The write syncs this replica's readers: one S3 reader, no LookupEvents poller.
    await eventually(async () => (audit.app.get(PollerService).trailPollers.size ? true : undefined));
    expect([...audit.app.get(PollerService).trailPollers.keys()]).toEqual([`${source.id}:${REGION}:s3`]);
    emulator.resetRequestCounts();

    const runId = ulid();
    await audit.bus.publish(RunPhaseChangedEvent, {
      runId, account: 'acme', spaceId: 'root', caller: CALLER, runType: 'TRACKED', phase: 'APPLYING', workerId: 'worker-1', workerPublicKey: workerPublicKey(), at: new Date().toISOString(),
    });
    const run = await assumeForRun(emulator.endpoint, { runId, callerSlug: CALLER.slug, integrationId: ulid() });
    await audit.bus.publish(CredentialsIssuedEvent, {
      runId, account: 'acme', spaceId: 'root', caller: CALLER, phase: 'APPLYING', scope: 'write', workerId: 'worker-1', integrationId: ulid(), roleArn: DEMO_ROLE,
      mode: 'platform', sourceIdentity: runId, externalIdUsed: true, issuedAt: new Date().toISOString(), refresh: 0,
      accessKeyId: run.credentials.accessKeyId, sessionName: run.sessionName, assumedRoleArn: run.assumedRoleArn, expiresAt: run.expiresAt.toISOString(),
    });
    await iam(emulator.endpoint, run.credentials).send(new CreateRoleCommand({ RoleName: `made-by-s3-run-${ulid().slice(-6).toLowerCase()}`,
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }));
    const delivered = emulator.events(CUSTOMER).map((e) => (e as { eventID: string }).eventID);
    await emulator.flushLogs();

    const timeline = await eventually(async () => {
      const t = await audit.get<RunTimeline>(`/v1/audit/runs/${runId}/timeline?limit=1000`, admin);
      return t.status === 200 && t.body.events.items.some((e) => e.eventName === 'CreateRole') ? t.body : undefined;
    }, 30_000);
    expect(timeline.events.items.map((e) => e.eventName)).toEqual(expect.arrayContaining(['AssumeRole', 'CreateRole']));
    expect(timeline.events.items.find((e) => e.eventName === 'CreateRole')).toMatchObject({ awsAccountId: CUSTOMER, account: 'acme', runId });

    const keys = await listKeys();
    expect(keys.length).toBeGreaterThan(0);
    const health = await eventually(async () => {
      const h = (await send<TrailSourceView>('GET', `/v1/audit/trail-sources/${source.id}`)).body.health[0];
      return h?.lastSuccessfulPollAt && h.eventsIngested > 0 && (await region()).key === keys[keys.length - 1] ? h : undefined;
    }, 30_000);
    expect(health).toMatchObject({ region: REGION, lastError: null, lagSeconds: expect.any(Number) });
    // Every event the emulator delivered is stored.
    const ids = await storedIds();
    expect(delivered.filter((id) => !ids.includes(id))).toEqual([]);
    // S3 replaced LookupEvents for this source; S3 was read with the reader role's session.
    expect(emulator.requestCounts({ action: 'LookupEvents', accountId: CUSTOMER })).toEqual([]);
    expect(emulator.requestCounts({ action: 'GetObject', accountId: CUSTOMER }).length).toBeGreaterThan(0);

    // The next delivery moves the checkpoint on.
    const next = await customerCall();
    await emulator.flushLogs();
    const moved = await listKeys();
    await eventually(async () => ((await region()).key === moved[moved.length - 1] && (await storedIds()).includes(next) ? true : undefined), 30_000);
    expect(moved.length).toBeGreaterThan(keys.length);
  });

  it('reads a file delivered late into a minute already read, though its key sorts before the checkpoint', async () => {
    const { key: checkpoint } = await region();
    if (!checkpoint) throw new Error('no checkpoint yet');
    // In AWS the 16 characters after the minute are random: this one sorts before every file of the minute.
    const late = checkpoint.replace(/_[^_/]+\.json\.gz$/, '_0000000000000000.json.gz');
    expect(late < checkpoint).toBe(true);
    const template = emulator.events(CUSTOMER)[0] as Record<string, unknown>;
    const eventID = `late-${ulid()}`;
    emulator.putTrailObject(BUCKET, late, logFile([{ ...template, eventID, eventTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }]));
    await eventually(async () => ((await storedIds()).includes(eventID) ? true : undefined), 30_000);
    expect((await region()).key).toBe(checkpoint); // the checkpoint never moves back
  });

  it('keeps a corrupt log file in bad_record and reads the next file', async () => {
    const { key: checkpoint } = await region();
    if (!checkpoint) throw new Error('no checkpoint yet');
    const corrupt = checkpoint.replace(/_[^_/]+\.json\.gz$/, '_zzzzzzzzzzzzzzzz.json.gz');
    const whole = logFile([{ eventVersion: '1.08', eventID: `cut-${ulid()}` }]);
    emulator.putTrailObject(BUCKET, corrupt, whole.subarray(0, Math.floor(whole.length / 2)));
    const next = await customerCall();
    await emulator.flushLogs();
    await eventually(async () => ((await storedIds()).includes(next) ? true : undefined), 30_000);
    // Within a minute the keys' order is not delivery order: the corrupt file may be read after the next one.
    const bad = await eventually(async () => {
      const rows = await audit.app.get(AuditDb).all(`select "source", "reason" from "bad_record" where "source" = ?`, [`s3://${BUCKET}/${corrupt}`]);
      return rows.length ? rows : undefined;
    }, 30_000);
    expect(bad).toEqual([expect.objectContaining({ reason: expect.stringContaining('file unreadable') })]);
    const h = (await send<TrailSourceView>('GET', `/v1/audit/trail-sources/${source.id}`)).body.health[0];
    expect(h?.lastError).toBeNull();
  });

  it('resumes from its checkpoint after a restart without storing anything twice', async () => {
    const before = await region();
    const count = (await storedIds()).length;
    await audit.close();
    apps.pop();
    const restartedAt = Date.now();
    audit = await start();
    // A full listing after the restart: the overlap is read again, and nothing in it is new.
    await eventually(async () => ((await region()).success > restartedAt ? true : undefined), 30_000);
    expect((await storedIds()).length).toBe(count);
    expect((await region()).ingested).toBe(before.ingested);
    const next = await customerCall();
    await emulator.flushLogs();
    await eventually(async () => ((await storedIds()).includes(next) ? true : undefined), 30_000);
    // Forward only (the corrupt file's key, last of its minute, may still be the greatest).
    expect(((await region()).key ?? '') >= (before.key ?? '')).toBe(true);
  });

  it('switches the region to LookupEvents when a PATCH removes the bucket, and back to S3 when it is given again', async () => {
    const readers = () => [...audit.app.get(PollerService).trailPollers.keys()];
    emulator.resetRequestCounts();
    expect((await send('PATCH', `/v1/audit/trail-sources/${source.id}`, { bucket: null })).status).toBe(200);
    await eventually(async () => (readers()[0]?.endsWith(':lookup') ? true : undefined));
    expect(readers()).toEqual([`${source.id}:${REGION}:lookup`]);
    // The LookupEvents poller took the lease the S3 reader gave back, and polls (one request more than the PATCH's verification).
    const lookups = () => emulator.requestCounts({ action: 'LookupEvents', accountId: CUSTOMER }).reduce((n, c) => n + c.count, 0);
    await eventually(async () => (lookups() > 1 ? true : undefined), 30_000);
    const back = await send<TrailSourceView>('PATCH', `/v1/audit/trail-sources/${source.id}`, { bucket: BUCKET });
    expect(back.status).toBe(200);
    await eventually(async () => (readers()[0]?.endsWith(':s3') ? true : undefined));
    const next = await customerCall();
    await emulator.flushLogs();
    await eventually(async () => ((await storedIds()).includes(next) ? true : undefined), 30_000);
  });

  it('never stores or logs the reader session credentials it read S3 with', async () => {
    const readers = issuedToAudit.filter((c) => c.assumedRoleArn.includes('/runtrail-audit@acme'));
    expect(readers.length).toBeGreaterThan(0);
    const store = audit.app.get(AuditDb);
    const tables = ['trail_source', 'trail_source_region', 'admin_event', 'bad_record', 'cloudtrail_event', 'aws_session', 'finding'];
    const rows = JSON.stringify(await Promise.all(tables.map((t) => store.all(`select * from "${t}"`))));
    const logged = output?.text() ?? '';
    for (const secret of issuedToAudit.flatMap((c) => [c.secretAccessKey, c.sessionToken])) {
      expect(rows).not.toContain(secret);
      expect(logged).not.toContain(secret);
    }
  });
});
