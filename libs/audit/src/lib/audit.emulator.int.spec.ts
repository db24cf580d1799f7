import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import {
  CloudTrailPushedEvent,
  CredentialsIssuedEvent,
  RunPhaseChangedEvent,
  type CredentialsIssued,
  type FindingRaised,
  type Phase,
} from '@runtrail/contracts';
import {
  DEFAULT_EMULATOR_SEED,
  describeEachDatabase,
  freePort,
  startNatsServer,
  startTestEmulator,
  type AwsEmulator,
  type RunningNatsServer,
  type Seed,
} from '@runtrail/testing';
import { ulid } from 'ulid';
import { AuditApp, eventually, workerPublicKey } from '../spec/audit-app.harness';
import { assumeForRun, createAndChain, CUSTOMER, DEMO_ROLE, e2eSeed, iam, PLATFORM, sts } from '../spec/emulator-run.fixture';
import { SweepFindings } from './findings/sweep-findings.usecase';
import { AuditDb } from './storage/audit-db';
import type { RunTimeline } from './queries/run-timeline.query';
import type { EventView } from './queries/event-view';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const CALLER = { type: 'stack' as const, id: ulid(), slug: 'network' };
const INTEGRATION = ulid();

describeEachDatabase('audit end to end with the aws-emulator', (db) => {
  let nats: RunningNatsServer;
  let emulator: AwsEmulator;
  let audit: AuditApp;
  let acme: string;
  let other: string;
  const worker = workerPublicKey();

  const phase = (runId: string, p: Phase) =>
    audit.bus.publish(RunPhaseChangedEvent, {
      runId, account: 'acme', spaceId: 'root', caller: CALLER, runType: 'TRACKED', phase: p, workerId: 'worker-1',
      workerPublicKey: worker, at: new Date().toISOString(),
    });
  const issued = (runId: string, e: Pick<CredentialsIssued, 'accessKeyId' | 'sessionName' | 'assumedRoleArn' | 'expiresAt'> & Partial<CredentialsIssued>) =>
    audit.bus.publish(CredentialsIssuedEvent, {
      runId, account: 'acme', spaceId: 'root', caller: CALLER, phase: 'APPLYING', scope: 'write', workerId: 'worker-1',
      integrationId: INTEGRATION, roleArn: DEMO_ROLE, mode: 'platform', sourceIdentity: runId, externalIdUsed: true,
      issuedAt: new Date().toISOString(), refresh: 0, ...e,
    });
  /** What an EventBridge bridge would do: push the trail of both accounts on audit.v1.cloudtrail. */
  const pushTrail = async () => {
    for (const account of ['111111111111', CUSTOMER]) {
      const records = emulator.events(account) as unknown as Array<Record<string, unknown>>;
      for (let i = 0; i < records.length; i += 500) {
        await audit.bus.publish(CloudTrailPushedEvent, { batchId: `${account}-${i}-${records.length}-${ulid()}`, source: 'emulator', records: records.slice(i, i + 500) });
      }
    }
  };
  const timeline = (runId: string, token = acme) => audit.get<RunTimeline>(`/v1/audit/runs/${runId}/timeline?limit=1000`, token);

  beforeAll(async () => {
    nats = await startNatsServer();
    emulator = await startTestEmulator({ seed: e2eSeed<Seed>(DEFAULT_EMULATOR_SEED) });
    audit = await AuditApp.start({ natsUrl: nats.url, port: await freePort(), vars: { DATABASE_URL: db.databaseUrl } });
    acme = audit.addKey({ account: 'acme', role: 'reader', spaceSubtree: null, visibleSpaces: null });
    other = audit.addKey({ account: 'globex', role: 'admin', spaceSubtree: null, visibleSpaces: null });
  });
  afterAll(async () => {
    await audit?.close();
    await emulator?.stop();
    await nats?.stop();
  });

  const runId = ulid();
  const roleName = `deployer-${runId.slice(-8).toLowerCase()}`;
  const chainedRoleName = `made-by-chain-${runId.slice(-8).toLowerCase()}`;

  it('links a run\'s AssumeRole, its CreateRole and the chained session\'s calls into the run\'s timeline', async () => {
    await phase(runId, 'APPLYING');
    const run = await assumeForRun(emulator.endpoint, { runId, callerSlug: CALLER.slug, integrationId: INTEGRATION });
    await issued(runId, { accessKeyId: run.credentials.accessKeyId, sessionName: run.sessionName, assumedRoleArn: run.assumedRoleArn, expiresAt: run.expiresAt.toISOString() });
    const chained = await createAndChain(emulator.endpoint, run.credentials, roleName, runId);
    await iam(emulator.endpoint, chained).send(new CreateRoleCommand({ RoleName: chainedRoleName, AssumeRolePolicyDocument: JSON.stringify({
      Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    }) }));
    await eventually(async () => ((await timeline(runId)).body.issuances?.length ? true : undefined));
    await sleep(1100); // CloudTrail times have second precision: the end must fall after the run's calls
    await phase(runId, 'FINISHED');
    await eventually(async () => ((await timeline(runId)).body.run?.endedAt ? true : undefined));
    await sleep(1100);
    await sts(emulator.endpoint, chained).send(new GetCallerIdentityCommand({})); // after FINISHED: a finding
    await pushTrail();

    const body = await eventually(async () => {
      const t = await timeline(runId);
      return t.body.events.items.some((e) => e.eventName === 'CreateRole' && e.requestParameters?.['roleName'] === chainedRoleName) ? t.body : undefined;
    });
    const events = body.events.items;
    const names = events.map((e) => `${e.eventName}:${e.link}`);
    expect(names).toEqual(expect.arrayContaining([
      'AssumeRole:issuance_access_key', 'CreateRole:access_key', 'AttachRolePolicy:access_key', 'AssumeRole:chained', 'GetCallerIdentity:access_key',
    ]));
    const chainedCalls = events.filter((e) => e.accessKeyId === chained.accessKeyId);
    // Same-second calls have no order in CloudTrail (second precision), so compare as a set.
    expect(chainedCalls.map((e) => e.eventName).sort()).toEqual(['CreateRole', 'GetCallerIdentity', 'GetCallerIdentity']);
    expect(events.every((e) => e.runId === runId && e.account === 'acme')).toBe(true);
    expect(body.phases.map((p) => p.phase)).toEqual(['APPLYING', 'FINISHED']);
    expect(body.issuances).toEqual([expect.objectContaining({ accessKeyId: run.credentials.accessKeyId, seenInTrail: true })]);
    // No secret of either session was stored, in any form.
    expect(JSON.stringify(body)).not.toContain(run.credentials.secretAccessKey);
    expect(JSON.stringify(body)).not.toContain(chained.sessionToken);
  });

  // SourceIdentity is opt-in per integration: without it, the AssumeRole is matched by access key
  // id, and a session the run chains into by the run's key that called AssumeRole (its parent).
  it.each([
    ['the issuance reaches audit before the trail', true],
    ['the trail reaches audit before the issuance', false],
  ])('links a run without SourceIdentity and the session it chains into when %s', async (_label, issuanceFirst) => {
    const quietRun = ulid();
    const deployer = `quiet-${quietRun.slice(-8).toLowerCase()}`;
    await phase(quietRun, 'APPLYING');
    const run = await assumeForRun(emulator.endpoint, { runId: quietRun, callerSlug: CALLER.slug, integrationId: INTEGRATION, sourceIdentity: false });
    const issue = () => issued(quietRun, {
      accessKeyId: run.credentials.accessKeyId, sessionName: run.sessionName, assumedRoleArn: run.assumedRoleArn,
      expiresAt: run.expiresAt.toISOString(), sourceIdentity: null,
    });
    if (issuanceFirst) {
      await issue();
      await eventually(async () => ((await timeline(quietRun)).body.issuances?.length ? true : undefined));
    }
    const chained = await createAndChain(emulator.endpoint, run.credentials, deployer, null);
    await pushTrail();
    if (!issuanceFirst) {
      const db = audit.app.get(AuditDb);
      await eventually(async () => ((await db.all(`select 1 from "aws_session" where "access_key_id" = ?`, [chained.accessKeyId])).length ? true : undefined));
      await issue();
    }

    const events = await eventually(async () => {
      const items = (await timeline(quietRun)).body.events.items;
      return items.some((e) => e.accessKeyId === chained.accessKeyId) ? items : undefined;
    });
    expect(run.sessionName).toBe(`${quietRun}@${CALLER.slug}@acme`);
    expect(events.every((e) => e.sourceIdentity === null && e.runId === quietRun && e.account === 'acme')).toBe(true);
    const byRun = events.filter((e) => e.accessKeyId === run.credentials.accessKeyId).map((e) => e.eventName).sort();
    // The run's session created the deployer role and chained into it (the chained AssumeRole is its call).
    expect(byRun).toEqual(['AssumeRole', 'AttachRolePolicy', 'CreateRole']);
    expect(events.filter((e) => e.accessKeyId === chained.accessKeyId).map((e) => e.eventName)).toEqual(['GetCallerIdentity']);
    expect(events.find((e) => e.eventName === 'AssumeRole' && e.accessKeyId !== run.credentials.accessKeyId)).toMatchObject({ link: 'issuance_access_key' });
    const body = (await timeline(quietRun)).body;
    expect(body.issuances).toEqual([expect.objectContaining({ accessKeyId: run.credentials.accessKeyId, seenInTrail: true })]);
  });

  it('answers "who created role X" with that run, by name and by ARN, as JSON and CSV', async () => {
    const byName = await audit.get<{ items: EventView[] }>(`/v1/audit/changes?resource=${roleName}`, acme);
    expect(byName.body.items.map((e) => [e.eventName, e.runId])).toEqual(expect.arrayContaining([['CreateRole', runId], ['AttachRolePolicy', runId]]));
    const arn = `arn:aws:iam::${CUSTOMER}:role/${chainedRoleName}`;
    const byArn = await audit.get<{ items: EventView[] }>(`/v1/audit/changes?resource=${encodeURIComponent(arn)}`, acme);
    expect(byArn.body.items).toEqual([expect.objectContaining({ eventName: 'CreateRole', runId, link: 'access_key' })]);
    const csv = await audit.get<never>(`/v1/audit/changes?resource=${roleName}&format=csv`, acme);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.text.split('\r\n')[0]).toMatch(/^eventTime,eventId,eventName/);
    expect(csv.text).toContain(runId);
  });

  it('lists the run with its counts for the dashboard, filtered, as CSV, and never to another account', async () => {
    type Page = { items: Array<{ runId: string; phase: string | null; issuances: number; awsCalls: number; findings: number }>; nextCursor: string | null };
    const list = await audit.get<Page>(`/v1/audit/runs?callerId=${CALLER.id}&limit=100`, acme);
    expect(list.status).toBe(200);
    const row = list.body.items.find((r) => r.runId === runId);
    expect(row).toMatchObject({ issuances: expect.any(Number), awsCalls: expect.any(Number) });
    expect(row?.issuances).toBeGreaterThan(0);
    expect(row?.awsCalls).toBeGreaterThan(0);
    const elsewhere = await audit.get<Page>(`/v1/audit/runs?callerId=${ulid()}`, acme);
    expect(elsewhere.body.items).toEqual([]);
    const csv = await audit.get<never>(`/v1/audit/runs?callerId=${CALLER.id}&format=csv`, acme);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.text).toContain(runId);
    expect((await audit.get<Page>('/v1/audit/runs', other)).body.items.map((r) => r.runId)).not.toContain(runId);
    expect((await audit.get<{ code: string }>('/v1/audit/runs?bogus=1', acme)).status).toBe(400);
  });

  it('raises "used after the run ended" once, published on audit.v1.finding and listed', async () => {
    const finding = await eventually(async () => audit.findings.find((f) => f.kind === 'used_after_run_ended' && f.runId === runId));
    expect(finding).toMatchObject({ account: 'acme', severity: 'high', details: expect.objectContaining({ eventName: 'GetCallerIdentity' }) });
    const listed = await audit.get<{ items: FindingRaised[] }>(`/v1/audit/findings?kind=used_after_run_ended&runId=${runId}`, acme);
    expect(listed.body.items.map((f) => f.id)).toEqual([finding.id]);
  });

  it('raises an AssumeRole nobody issued, and an issuance that never reached the trail, after their grace', async () => {
    const rogueRun = ulid();
    await assumeForRun(emulator.endpoint, { runId: rogueRun, callerSlug: CALLER.slug, integrationId: INTEGRATION });
    const ghostRun = ulid();
    await phase(ghostRun, 'APPLYING');
    await issued(ghostRun, { accessKeyId: 'ASIAGHOSTNEVERUSED01', sessionName: `${ghostRun}@x@acme`, assumedRoleArn: null, expiresAt: new Date(Date.now() + 900_000).toISOString() });
    await pushTrail();
    await eventually(async () => ((await timeline(ghostRun)).body.issuances?.length ? true : undefined));
    await eventually(async () => {
      const events = await audit.get<{ items: EventView[] }>(`/v1/audit/events?eventName=AssumeRole&limit=1000`, acme);
      return events.status === 200 ? true : undefined;
    });
    const sweep = audit.app.get(SweepFindings);
    await eventually(async () => ((await sweep.sweep(Date.now() + 2 * 3600_000)) >= 0 && audit.findings.some((f) => f.kind === 'issuance_not_in_trail' && f.runId === ghostRun) ? true : undefined));
    const rogueEvents = emulator.events(CUSTOMER)
      .filter((r) => JSON.stringify((r as unknown as { requestParameters?: unknown }).requestParameters ?? null).includes(rogueRun))
      .map((r) => (r as unknown as { eventID: string }).eventID);
    expect(rogueEvents).toHaveLength(1);
    const unissued = await eventually(async () => {
      await sweep.sweep(Date.now() + 2 * 3600_000);
      return audit.findings.find((f) => f.kind === 'unissued_assume_role' && f.eventId === rogueEvents[0]);
    });
    expect(unissued).toMatchObject({ account: 'acme', roleArn: DEMO_ROLE, details: expect.objectContaining({ marker: 'external_id' }) });
    // Sweeping again raises nothing new: ids are deterministic.
    const before = audit.findings.length;
    expect(await sweep.sweep(Date.now() + 2 * 3600_000)).toBe(0);
    await sleep(200);
    expect(audit.findings.length).toBe(before);
  });

  it('records a denied AssumeRole on an integrated role as a denied attempt and a finding', async () => {
    await expect(sts(emulator.endpoint, PLATFORM).send(new AssumeRoleCommand({ RoleArn: DEMO_ROLE, RoleSessionName: 'probe', ExternalId: 'wrong' })))
      .rejects.toThrow(/not authorized/);
    await pushTrail();
    const finding = await eventually(async () => audit.findings.find((f) => f.kind === 'denied_assume_role'));
    expect(finding).toMatchObject({ account: 'acme', roleArn: DEMO_ROLE, details: expect.objectContaining({ errorCode: 'AccessDenied' }) });
    const denied = await audit.get<{ items: EventView[] }>(`/v1/audit/findings?kind=denied_assume_role`, acme);
    expect(denied.body.items.map((f) => f.eventId)).toContain(finding.eventId);
  });

  it('keeps a bad record of a pushed batch aside and ingests the rest of the batch', async () => {
    const [good] = emulator.events(CUSTOMER).slice(-1) as unknown as Array<Record<string, unknown>>;
    const fresh = { ...good, eventID: `pushed-${ulid()}` };
    await audit.bus.publish(CloudTrailPushedEvent, { batchId: ulid(), source: 'bridge', records: [{ eventName: 'NoId' }, fresh] });
    const db = audit.app.get(AuditDb);
    await eventually(async () => ((await db.all(`select 1 from "cloudtrail_event" where "event_id" = ?`, [String(fresh.eventID)])).length ? true : undefined));
    const bad = await db.all(`select "reason" from "bad_record" where "source" like 'push:bridge:%'`);
    expect(bad).toEqual([{ reason: expect.stringMatching(/eventID/) }]);
  });

  it('refuses requests without a valid key, and hides acme\'s runs from another account', async () => {
    const none = await audit.get<{ code: string }>(`/v1/audit/runs/${runId}/timeline`, null);
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const wrong = await audit.get<{ code: string }>(`/v1/audit/runs/${runId}/timeline`, `rtk.${ulid()}.${'a'.repeat(43)}`);
    expect(wrong.status).toBe(401);
    const globex = await timeline(runId, other);
    expect(globex.status).toBe(404);
    const changes = await audit.get<{ items: EventView[] }>(`/v1/audit/changes?resource=${roleName}`, other);
    expect(changes.body.items).toEqual([]);
    const bad = await audit.get<{ code: string }>(`/v1/audit/events?cursor=nonsense`, acme);
    expect(bad.status).toBe(400);
    const doc = await audit.get<{ openapi: string; paths: Record<string, unknown> }>('/v1/audit/openapi.json', null);
    expect(Object.keys(doc.body.paths)).toEqual(['/v1/audit/runs', '/v1/audit/runs/{runId}/timeline', '/v1/audit/changes', '/v1/audit/events', '/v1/audit/findings', '/v1/audit/admin-events',
      '/v1/audit/trail-sources', '/v1/audit/trail-sources/{id}']);
  });

  it('pages every list with a cursor', async () => {
    const first = await audit.get<{ events: { items: EventView[]; nextCursor: string | null } }>(`/v1/audit/runs/${runId}/timeline?limit=2`, acme);
    expect(first.body.events.items).toHaveLength(2);
    const all: EventView[] = [...first.body.events.items];
    let cursor = first.body.events.nextCursor;
    while (cursor) {
      const next = await audit.get<{ events: { items: EventView[]; nextCursor: string | null } }>(`/v1/audit/runs/${runId}/timeline?limit=2&cursor=${cursor}`, acme);
      all.push(...next.body.events.items);
      cursor = next.body.events.nextCursor;
    }
    const whole = await timeline(runId);
    expect(all.map((e) => e.eventId)).toEqual(whole.body.events.items.map((e) => e.eventId));
    const page1 = await audit.get<{ items: EventView[]; nextCursor: string }>(`/v1/audit/events?runId=${runId}&limit=3`, acme);
    const page2 = await audit.get<{ items: EventView[] }>(`/v1/audit/events?runId=${runId}&limit=3&cursor=${page1.body.nextCursor}`, acme);
    expect(page1.headers.get('x-next-cursor')).toBe(page1.body.nextCursor);
    expect(new Set([...page1.body.items, ...page2.body.items].map((e) => e.eventId)).size).toBe(page1.body.items.length + page2.body.items.length);
  });
});
