import { CreateRoleCommand, DeleteRolePolicyCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import type { TemporaryCredentials } from '@runtrail/aws-sts';
import { trailSourceExternalId } from '@runtrail/aws-identity';
import { CredentialsIssuedEvent, RunPhaseChangedEvent, type AdminEvent, type TrailSourceView, type VerifyCheck } from '@runtrail/contracts';
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
import { ulid } from 'ulid';
import { AuditApp, eventually, workerPublicKey } from '../../spec/audit-app.harness';
import { assumeForRun, CUSTOMER, CUSTOMER_ADMIN, DEMO_ROLE, e2eSeed, iam, PLATFORM, REGION } from '../../spec/emulator-run.fixture';
import type { RunTimeline } from '../queries/run-timeline.query';
import { PollerService } from '../service/poller.service';
import { AuditDb } from '../storage/audit-db';
import { TrailAws } from './reader-sessions';

type Problem = { code: string; detail: string; checks?: VerifyCheck[]; issues?: Array<{ path: string }>; trustStatement?: unknown; permissionStatements?: unknown[] };
const PLATFORM_ROOT = 'arn:aws:iam::111111111111:root';
const LOOKUP = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'cloudtrail:LookupEvents', Resource: '*' }] };
const CALLER = { type: 'stack' as const, id: ulid(), slug: 'network' };

/** A reader role in the customer account, created through the emulator's IAM as the customer's admin would. */
async function readerRole(endpoint: string, name: string, condition: Record<string, unknown> | null, lookup = true): Promise<string> {
  const client = iam(endpoint, CUSTOMER_ADMIN);
  try {
    const statement = { Effect: 'Allow', Principal: { AWS: PLATFORM_ROOT }, Action: 'sts:AssumeRole', ...(condition ? { Condition: condition } : {}) };
    await client.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [statement] }) }));
    if (lookup) await client.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'trail-read', PolicyDocument: JSON.stringify(LOOKUP) }));
    return `arn:aws:iam::${CUSTOMER}:role/${name}`;
  } finally {
    client.destroy();
  }
}

// Trail sources: verified at save, CRUD with the admin log, and the poller reading with the source's role.
describeEachDatabase('audit: trail sources on the aws-emulator', (db) => {
  let nats: RunningNatsServer;
  let emulator: AwsEmulator;
  let audit: AuditApp;
  let admin: string;
  let reader: string;
  let spaceAdmin: string;
  let globex: string;
  const issuedToAudit: TemporaryCredentials[] = [];
  let output: CapturedOutput | undefined;

  const send = async <T>(method: string, path: string, token: string, body?: unknown) => {
    const response = await fetch(`${audit.baseUrl}${path}`, {
      method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, type: response.headers.get('content-type') };
  };

  beforeAll(async () => {
    // Every line the processes write, to prove no reader credential is ever logged.
    output = captureProcessOutput();
    nats = await startNatsServer();
    emulator = await startTestEmulator({ seed: e2eSeed<Seed>(DEFAULT_EMULATOR_SEED) });
    audit = await AuditApp.start({
      natsUrl: nats.url, port: await freePort(),
      vars: { DATABASE_URL: db.databaseUrl, AWS_ENDPOINT_URL: emulator.endpoint, AUDIT_POLL_INTERVAL_MS: '1000', AUDIT_LEASE_TTL_MS: '3000', LOG_LEVEL: 'log' },
      module: { platformCredentials: PLATFORM, trailVerifyRetry: { attempts: 2, baseDelayMs: 100, maxDelayMs: 100 } },
    });
    // Every session audit obtains, as STS returned it: what the scan below must never find stored or logged.
    const sts = audit.app.get(TrailAws).sts;
    const assume = sts.assumeRole.bind(sts);
    jest.spyOn(sts, 'assumeRole').mockImplementation(async (input) => {
      const credentials = await assume(input);
      issuedToAudit.push(credentials);
      return credentials;
    });
    admin = audit.addKey({ account: 'acme', role: 'admin', spaceSubtree: null, visibleSpaces: null });
    reader = audit.addKey({ account: 'acme', role: 'reader', spaceSubtree: null, visibleSpaces: null });
    spaceAdmin = audit.addKey({ account: 'acme', role: 'admin', spaceSubtree: 'dev', visibleSpaces: ['dev'] });
    globex = audit.addKey({ account: 'globex', role: 'admin', spaceSubtree: null, visibleSpaces: null });
  });
  afterAll(async () => {
    output?.restore();
    await audit?.close();
    await emulator?.stop();
    await nats?.stop();
  });

  const tag = () => ulid().slice(-8).toLowerCase();
  const body = (roleArn: string) => ({ awsAccountId: CUSTOMER, regions: [REGION], roleArn });

  it('refuses a role without an external-id condition, with its checks and the statements to paste; nothing is stored', async () => {
    const roleArn = await readerRole(emulator.endpoint, `reader-open-${tag()}`, null);
    const refused = await send<Problem>('POST', '/v1/audit/trail-sources', admin, body(roleArn));
    expect(refused.status).toBe(422);
    expect(refused.type).toContain('application/problem+json');
    expect(refused.body.code).toBe('UNSAFE_TRUST_POLICY');
    const failing = refused.body.checks?.filter((c) => c.status === 'fail').map((c) => c.check);
    // No condition at all also accepts another tenant's id.
    expect(failing).toEqual(['confused-deputy', 'foreign-external-id']);
    expect(refused.body.detail).toContain('confused-deputy');
    // Nothing is stored, so a retried POST gets a new id: the statement to paste matches any of acme's trail-source ids.
    expect(refused.body.trustStatement).toMatchObject({ Principal: { AWS: PLATFORM_ROOT }, Condition: { StringLike: { 'sts:ExternalId': 'acme@trail-source@*' } } });
    expect(refused.body.permissionStatements).toEqual([expect.objectContaining({ Action: 'cloudtrail:LookupEvents' })]);
    expect((await send<{ items: unknown[] }>('GET', '/v1/audit/trail-sources', admin)).body.items).toEqual([]);
  });

  it('refuses a role that trusts any external id (another tenant could use it)', async () => {
    const roleArn = await readerRole(emulator.endpoint, `reader-any-${tag()}`, { StringLike: { 'sts:ExternalId': '*' } });
    const refused = await send<Problem>('POST', '/v1/audit/trail-sources', admin, body(roleArn));
    expect(refused.status).toBe(422);
    expect(refused.body.checks?.filter((c) => c.status === 'fail').map((c) => c.check)).toEqual(['foreign-external-id']);
  });

  it('refuses a role without cloudtrail:LookupEvents', async () => {
    const roleArn = await readerRole(emulator.endpoint, `reader-blind-${tag()}`, { StringLike: { 'sts:ExternalId': 'acme@trail-source@*' } }, false);
    const refused = await send<Problem>('POST', '/v1/audit/trail-sources', admin, body(roleArn));
    expect(refused.status).toBe(422);
    const lookup = refused.body.checks?.find((c) => c.check === 'lookup-events');
    expect(lookup).toMatchObject({ status: 'fail', message: expect.stringContaining('cloudtrail:LookupEvents') });
  });

  it("describes the routes in audit's OpenAPI document", async () => {
    const doc = await audit.get<{ paths: Record<string, Record<string, unknown>> }>('/v1/audit/openapi.json', null);
    expect(Object.keys(doc.body.paths['/v1/audit/trail-sources'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.body.paths['/v1/audit/trail-sources/{id}'] ?? {}).sort()).toEqual(['delete', 'get', 'patch']);
  });

  it('answers 400 naming the field, 403 to readers and space-limited admins', async () => {
    const bad = await send<Problem>('POST', '/v1/audit/trail-sources', admin, { awsAccountId: CUSTOMER, regions: ['nowhere'], roleArn: DEMO_ROLE, extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.issues?.map((i) => i.path)).toContain('regions.0');
    expect(bad.body.detail).toMatch(/extra/);
    expect((await send('POST', '/v1/audit/trail-sources', reader, body(DEMO_ROLE))).status).toBe(403);
    expect((await send('POST', '/v1/audit/trail-sources', spaceAdmin, body(DEMO_ROLE))).status).toBe(403);
    expect((await send('GET', '/v1/audit/trail-sources', spaceAdmin)).status).toBe(403);
  });

  let source: TrailSourceView;
  it('saves a verified source, lists it to its account only, updates and records each change in the admin log', async () => {
    // The statement a refused POST answers: the source id is not known before saving.
    const roleArn = await readerRole(emulator.endpoint, `reader-${tag()}`, { StringLike: { 'sts:ExternalId': 'acme@trail-source@*' } });
    const created = await send<TrailSourceView>('POST', '/v1/audit/trail-sources', admin, body(roleArn));
    expect(created.status).toBe(201);
    source = created.body;
    expect(source).toMatchObject({ account: 'acme', awsAccountId: CUSTOMER, regions: [REGION], roleArn, externalId: trailSourceExternalId({ account: 'acme', sourceId: source.id }) });
    expect(source.health).toEqual([{ region: REGION, lastSuccessfulPollAt: null, lagSeconds: null, lastError: null, lastErrorAt: null, eventsIngested: 0 }]);
    expect((await send('POST', '/v1/audit/trail-sources', admin, body(roleArn))).status).toBe(409);
    expect((await send<TrailSourceView>('GET', `/v1/audit/trail-sources/${source.id}`, reader)).body.id).toBe(source.id);
    expect((await send<{ items: unknown[] }>('GET', '/v1/audit/trail-sources', globex)).body.items).toEqual([]);
    expect((await send('GET', `/v1/audit/trail-sources/${source.id}`, globex)).status).toBe(404);

    const patched = await send<TrailSourceView>('PATCH', `/v1/audit/trail-sources/${source.id}`, admin, { regions: [REGION, 'eu-west-1'] });
    expect(patched.status).toBe(200);
    expect(patched.body.health.map((h) => h.region)).toEqual([REGION, 'eu-west-1']);
    const back = await send<TrailSourceView>('PATCH', `/v1/audit/trail-sources/${source.id}`, admin, { regions: [REGION] });
    expect(back.body.regions).toEqual([REGION]);

    const log = await audit.get<{ items: AdminEvent[] }>(`/v1/audit/admin-events?targetType=trail_source&targetId=${source.id}`, admin);
    expect(log.body.items.map((e) => [e.action, e.changes ?? null])).toEqual([
      ['trail_source.updated', ['regions']], ['trail_source.updated', ['regions']], ['trail_source.created', null],
    ]);
    expect(log.body.items.every((e) => 'keyId' in e.actor && e.actor.role === 'admin' && e.spaceId === null)).toBe(true);
  });

  it("polls with the source's reader role and gives the customer account's events to the source's account only", async () => {
    const runId = ulid();
    const globexRun = ulid();
    const worker = workerPublicKey();
    for (const [id, account] of [[runId, 'acme'], [globexRun, 'globex']] as const) {
      await audit.bus.publish(RunPhaseChangedEvent, {
        runId: id, account, spaceId: 'root', caller: CALLER, runType: 'TRACKED', phase: 'APPLYING', workerId: 'worker-1', workerPublicKey: worker, at: new Date().toISOString(),
      });
    }
    // A run's AssumeRole in the customer account (what credential-broker does), its issuance, and a change it makes there.
    const acmeRun = await assumeForRun(emulator.endpoint, { runId, callerSlug: CALLER.slug, integrationId: ulid() });
    const globexRunCreds = await assumeForRun(emulator.endpoint, { runId: globexRun, callerSlug: CALLER.slug, integrationId: ulid() });
    const issued = (id: string, account: string, run: typeof acmeRun) =>
      audit.bus.publish(CredentialsIssuedEvent, {
        runId: id, account, spaceId: 'root', caller: CALLER, phase: 'APPLYING', scope: 'write', workerId: 'worker-1', integrationId: ulid(), roleArn: DEMO_ROLE,
        mode: 'platform', sourceIdentity: id, externalIdUsed: true, issuedAt: new Date().toISOString(), refresh: 0,
        accessKeyId: run.credentials.accessKeyId, sessionName: run.sessionName, assumedRoleArn: run.assumedRoleArn, expiresAt: run.expiresAt.toISOString(),
      });
    await issued(runId, 'acme', acmeRun);
    await issued(globexRun, 'globex', globexRunCreds);
    const made = `made-by-run-${tag()}`;
    await iam(emulator.endpoint, acmeRun.credentials).send(new CreateRoleCommand({ RoleName: made, AssumeRolePolicyDocument: JSON.stringify({
      Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    }) }));
    await iam(emulator.endpoint, globexRunCreds.credentials).send(new CreateRoleCommand({ RoleName: `${made}-g`, AssumeRolePolicyDocument: JSON.stringify({
      Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    }) }));

    const timeline = await eventually(async () => {
      const t = await audit.get<RunTimeline>(`/v1/audit/runs/${runId}/timeline?limit=1000`, admin);
      return t.status === 200 && t.body.events.items.some((e) => e.eventName === 'CreateRole') ? t.body : undefined;
    }, 30_000);
    expect(timeline.events.items.map((e) => e.eventName)).toEqual(expect.arrayContaining(['AssumeRole', 'CreateRole']));
    expect(timeline.events.items.find((e) => e.eventName === 'CreateRole')).toMatchObject({ awsAccountId: CUSTOMER, account: 'acme', runId });

    // globex's run made a call in acme's customer account: acme's source reads it, but it is not globex's to see.
    const globexTimeline = await audit.get<RunTimeline>(`/v1/audit/runs/${globexRun}/timeline?limit=1000`, globex);
    expect(globexTimeline.body.events?.items ?? []).toEqual([]);
    const globexCalls = await audit.app.get(AuditDb).all(`select "run_id", "account" from "cloudtrail_event" where "access_key_id" = ?`,
      [globexRunCreds.credentials.accessKeyId]);
    expect(globexCalls.length).toBeGreaterThan(0); // read from the trail, yet not linked to globex's run
    expect(globexCalls.every((r) => r['run_id'] === null && r['account'] === null)).toBe(true);

    const health = await eventually(async () => {
      const s = await send<TrailSourceView>('GET', `/v1/audit/trail-sources/${source.id}`, admin);
      const h = s.body.health[0];
      return h && h.lastSuccessfulPollAt && h.eventsIngested > 0 ? h : undefined;
    }, 30_000);
    expect(health).toMatchObject({ lastError: null, lagSeconds: expect.any(Number) });

    const readerSessions = emulator.events(CUSTOMER).filter((e) => (e as { eventName?: string }).eventName === 'AssumeRole'
      && JSON.stringify(e).includes('runtrail-audit@acme'));
    expect(readerSessions.length).toBeGreaterThan(0);
  });

  it('never stores or logs the reader session credentials', async () => {
    const readers = issuedToAudit.filter((c) => c.assumedRoleArn.includes('/runtrail-audit@acme'));
    expect(readers.length).toBeGreaterThan(0);
    const secrets = issuedToAudit.flatMap((c) => [c.secretAccessKey, c.sessionToken]);
    const store = audit.app.get(AuditDb);
    const tables = ['trail_source', 'trail_source_region', 'admin_event', 'bad_record', 'poll_checkpoint', 'cloudtrail_event', 'aws_session', 'finding'];
    // The scan reads what audit stored once the reader's own AssumeRole (with its key id) came back through the trail.
    const rows = await eventually(async () => {
      const all = JSON.stringify(await Promise.all(tables.map((t) => store.all(`select * from "${t}"`))));
      return readers.some((r) => all.includes(r.accessKeyId)) ? all : undefined;
    }, 30_000);
    const logged = output?.text() ?? '';
    for (const secret of secrets) {
      expect(rows).not.toContain(secret);
      expect(logged).not.toContain(secret);
    }
  });

  it("shows a region's last error when the role loses LookupEvents, and clears it once polling works again", async () => {
    const roleName = source.roleArn.split('/').pop() ?? '';
    const customer = iam(emulator.endpoint, CUSTOMER_ADMIN);
    try {
      await customer.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: 'trail-read' }));
      const broken = await eventually(async () => {
        const h = (await send<TrailSourceView>('GET', `/v1/audit/trail-sources/${source.id}`, admin)).body.health[0];
        return h?.lastError ? h : undefined;
      }, 30_000);
      expect(broken.lastError).toContain('cloudtrail:LookupEvents');
      expect(broken.lastErrorAt).not.toBeNull();
      await customer.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'trail-read', PolicyDocument: JSON.stringify(LOOKUP) }));
      await eventually(async () => {
        const h = (await send<TrailSourceView>('GET', `/v1/audit/trail-sources/${source.id}`, admin)).body.health[0];
        return h && h.lastError === null && h.lastSuccessfulPollAt !== null && Date.parse(h.lastSuccessfulPollAt) > Date.parse(broken.lastErrorAt ?? '') ? h : undefined;
      }, 30_000);
    } finally {
      customer.destroy();
    }
  });

  it('polls with the new role once a PATCH changes it', async () => {
    const roleArn = await readerRole(emulator.endpoint, `reader-next-${tag()}`, { StringEquals: { 'sts:ExternalId': source.externalId } });
    const patched = await send<TrailSourceView>('PATCH', `/v1/audit/trail-sources/${source.id}`, admin, { roleArn });
    expect(patched.status).toBe(200);
    const name = roleArn.split('/').pop() ?? '';
    await eventually(async () => (issuedToAudit.some((c) => c.assumedRoleArn.includes(`:assumed-role/${name}/runtrail-audit@acme`)) ? true : undefined), 30_000);
  });

  it('removes a source: 204, gone, its poller stopped, the removal logged', async () => {
    expect((await send('DELETE', `/v1/audit/trail-sources/${source.id}`, reader)).status).toBe(403);
    expect((await send('DELETE', `/v1/audit/trail-sources/${source.id}`, admin)).status).toBe(204);
    expect((await send('GET', `/v1/audit/trail-sources/${source.id}`, admin)).status).toBe(404);
    expect((await send('DELETE', `/v1/audit/trail-sources/${source.id}`, admin)).status).toBe(404);
    const log = await audit.get<{ items: AdminEvent[] }>(`/v1/audit/admin-events?action=trail_source.removed`, admin);
    expect(log.body.items.map((e) => e.target.id)).toEqual([source.id]);
    expect(audit.app.get(PollerService).trailPollers.size).toBe(0); // the write synced this replica's pollers
  });
});
