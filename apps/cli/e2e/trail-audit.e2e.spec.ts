import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { EventView, Page, RunTimeline, TrailSourceView } from '@runtrail/contracts';
import Database from 'better-sqlite3';
import { ulid } from 'ulid';
import { ROOT } from './support/service.process';
import { CUSTOMER, E2eStack, PLATFORM_ACCOUNT } from './support/stack.harness';

// Issue 12's "must show", as a customer does it with only what a user has: trail sources through the
// REST API and `runtrail trail-sources`, the customer's IAM through /usr/bin/aws as its admin, a
// tracked run through `runtrail exec`, and the run's timeline through the audit API and
// `runtrail audit`. Audit runs as a process of the build, as its NATS user of the shipped auth.conf.
let stack: E2eStack;
/** An account-wide admin key of acme: trail sources need one (libs/audit/README.md). */
let adminKey: string;
/** The stack every scenario's run belongs to (a platform integration on `APP_ROLE`). */
let caller: { callerId: string; slug: string };

const SLUG = 'trail-app';
const READER_ROLE = `arn:aws:iam::${CUSTOMER}:role/runtrail-trail-reader`;
const roleArn = (name: string) => `arn:aws:iam::${CUSTOMER}:role/${name}`;
/** The integration's role: runtrail assumes it for acme's runs. */
const APP_ROLE = 'e2e-trail-app';
/** The second role a run chains into (a deployer role, as Terraform's second provider would assume). */
const DEPLOYER_ROLE = 'e2e-trail-deployer';
/** Audit's reader sessions are named after the runtrail account (libs/audit/README.md, Poller). */
const READER_SESSION = 'runtrail-audit@acme';

/** A policy document as a user writes it: one Allow statement. */
function policy(statement: Record<string, unknown>): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', ...statement }] });
}

/** `aws <args>` as the customer's admin (/usr/bin/aws); fails the test on an error. */
async function customerAws(args: string[]): Promise<string> {
  const result = await stack.awsCli([...args, '--output', 'json']);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  return result.stdout;
}

async function createRole(name: string, trust: string, permissions?: string): Promise<string> {
  const created = await customerAws([
    'iam',
    'create-role',
    '--role-name',
    name,
    '--assume-role-policy-document',
    trust,
  ]);
  if (permissions)
    await customerAws([
      ...['iam', 'put-role-policy', '--role-name', name],
      ...['--policy-name', 'e2e', '--policy-document', permissions],
    ]);
  return (JSON.parse(created) as { Role: { Arn: string } }).Role.Arn;
}

interface Reply<T> {
  status: number;
  type: string;
  body: T;
}

/** The audit REST API as acme's admin. */
async function auditApi<T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
): Promise<Reply<T>> {
  const res = await fetch(`${stack.auditUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    body: (text ? JSON.parse(text) : null) as T,
  };
}

/** `runtrail <args>` with acme's admin key against audit's API; fails the test on a non-zero exit. */
async function runtrail(args: string[]): Promise<string> {
  const result = await stack.runtrail(args, adminKey);
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  return result.stdout;
}

/** Polls `probe` until it answers something, at most `timeoutMs` (a bound, not a speed claim). */
async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function sources(): Promise<TrailSourceView[]> {
  const listed = await auditApi<Page<TrailSourceView>>('GET', '/v1/audit/trail-sources');
  expect(listed.status).toBe(200);
  return listed.body.items;
}

type Problem = {
  code: string;
  detail: string;
  checks: Array<{ check: string; status: string; message: string }>;
  trustStatement: Record<string, unknown>;
  permissionStatements: Array<Record<string, unknown>>;
};

/** The trust a reader role needs (what a refused POST answers to paste): runtrail's account, acme's ids. */
const READER_TRUST = policy({
  Action: 'sts:AssumeRole',
  Principal: { AWS: `arn:aws:iam::${PLATFORM_ACCOUNT}:root` },
  Condition: { StringLike: { 'sts:ExternalId': 'acme@trail-source@*' } },
});

/** `POST /v1/audit/trail-sources` for `roleArn` in us-east-1, expected to be refused: the failing checks. */
async function refusedSource(
  roleArn: string,
  extra: Record<string, string> = {},
): Promise<Reply<Problem> & { failing: string[] }> {
  const refused = await auditApi<Problem>('POST', '/v1/audit/trail-sources', {
    awsAccountId: CUSTOMER,
    regions: ['us-east-1'],
    roleArn,
    ...extra,
  });
  expect(refused.status).toBe(422);
  expect(refused.type).toContain('application/problem+json');
  expect(refused.body.code).toBe('UNSAFE_TRUST_POLICY');
  return { ...refused, failing: refused.body.checks.filter((c) => c.status === 'fail').map((c) => c.check) };
}

beforeAll(async () => {
  const build = spawnSync(process.execPath, ['tools/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  stack = await E2eStack.start({ integrations: 'real', audit: true });
  adminKey = await stack.api.createApiKey('e2e-audit-admin', 'admin');

  // The customer's admin makes the run's roles: the integration's role may create e2e-made-* roles
  // and chain into the deployer, which may change their policies.
  const appArn = await createRole(
    APP_ROLE,
    // Seed 001's trust: runtrail's platform account, for acme's external ids.
    policy({
      Action: 'sts:AssumeRole',
      Principal: { AWS: `arn:aws:iam::${PLATFORM_ACCOUNT}:root` },
      Condition: { StringLike: { 'sts:ExternalId': 'acme@*' } },
    }),
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'iam:CreateRole', Resource: roleArn('e2e-made-*') },
        { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn(DEPLOYER_ROLE) },
      ],
    }),
  );
  await createRole(
    DEPLOYER_ROLE,
    policy({ Action: 'sts:AssumeRole', Principal: { AWS: appArn } }),
    policy({ Action: 'iam:PutRolePolicy', Resource: roleArn('e2e-made-*') }),
  );
  caller = { callerId: await stack.api.registerStack(SLUG), slug: SLUG };
  const integration = await stack.api.createIntegration({
    name: 'trail-app',
    roleArn: appArn,
    mode: 'platform',
    durationSeconds: 900,
    region: 'us-east-1',
    sessionTagging: false,
  });
  await stack.api.attach(integration.id, caller.callerId);

  // aws-cli 2.9 has no endpoint setting for the STS client its assume-role provider makes
  // (AWS_ENDPOINT_URL came in 2.13): the STS endpoint rule set in AWS_DATA_PATH
  // (deploy/emulator/aws-cli-sts-endpoint-rule-set.json, shared with npm start's demo) sends it to
  // the emulator. Against AWS neither this nor --endpoint-url is needed.
  const rules = join(stack.dataDir, 'aws-data/sts/2011-06-15');
  mkdirSync(rules, { recursive: true });
  writeFileSync(
    join(rules, 'endpoint-rule-set-1.json'),
    readFileSync(join(ROOT, 'deploy/emulator/aws-cli-sts-endpoint-rule-set.json'), 'utf8').replace(
      'EMULATOR_ENDPOINT',
      stack.emulator.endpoint,
    ),
  );
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

describe('trail sources (issue 12)', () => {
  it("runtrail trail-sources add, list and rm register, show and remove the seed's reader role", async () => {
    const added = JSON.parse(
      await runtrail([
        ...['trail-sources', 'add', '--aws-account', CUSTOMER, '--region', 'us-east-1'],
        ...['--role-arn', READER_ROLE, '--json'],
      ]),
    ) as TrailSourceView;
    expect(added).toMatchObject({
      awsAccountId: CUSTOMER,
      regions: ['us-east-1'],
      roleArn: READER_ROLE,
      bucket: null,
      externalId: `acme@trail-source@${added.id}`,
    });

    const table = await runtrail(['trail-sources', 'list']);
    expect(table).toMatch(/^ID\s+AWS ACCOUNT\s+REGION\s+ROLE\s+READS/);
    expect(table).toMatch(
      new RegExp(`${added.id}\\s+${CUSTOMER}\\s+us-east-1\\s+\\S+runtrail-trail-reader\\s+LookupEvents`),
    );

    expect(await runtrail(['trail-sources', 'rm', added.id])).toBe(`trail source ${added.id} removed\n`);
    expect(await runtrail(['trail-sources', 'list'])).toBe(
      'no trail sources: add one with `runtrail trail-sources add`\n',
    );
  });

  it('refuses a reader role whose trust has no external-id condition (confused-deputy), storing nothing', async () => {
    const arn = await createRole(
      'e2e-reader-no-external-id',
      policy({ Action: 'sts:AssumeRole', Principal: { AWS: `arn:aws:iam::${PLATFORM_ACCOUNT}:root` } }),
      policy({ Action: 'cloudtrail:LookupEvents', Resource: '*' }),
    );
    const refused = await refusedSource(arn);
    // Without a condition any external id works, another tenant's too.
    expect(refused.failing).toEqual(['confused-deputy', 'foreign-external-id']);
    expect(refused.body.detail).toContain('confused-deputy');
    // What to paste: the trust statement with runtrail's account and acme's external ids.
    expect(refused.body.trustStatement).toMatchObject({
      Principal: { AWS: `arn:aws:iam::${PLATFORM_ACCOUNT}:root` },
      Condition: { StringLike: { 'sts:ExternalId': 'acme@trail-source@*' } },
    });
    expect(await sources()).toEqual([]);
  }, 60_000);

  it('refuses a reader role without cloudtrail:LookupEvents (lookup-events), through REST and the CLI, storing nothing', async () => {
    const arn = await createRole('e2e-reader-no-lookup', READER_TRUST);
    const refused = await refusedSource(arn);
    expect(refused.failing).toEqual(['lookup-events']);
    expect(refused.body.detail).toContain('lookup-events');
    expect(refused.body.permissionStatements).toContainEqual(
      expect.objectContaining({ Action: 'cloudtrail:LookupEvents', Resource: '*' }),
    );

    // The CLI prints every check and what to paste, and exits 1.
    const cli = await stack.runtrail(
      ['trail-sources', 'add', '--aws-account', CUSTOMER, '--region', 'us-east-1', '--role-arn', arn],
      adminKey,
    );
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/FAIL lookup-events: /);
    expect(cli.stderr).toMatch(/ok {3}confused-deputy/);
    expect(cli.stderr).toContain('permissionStatements to paste into the reader role:');
    expect(await sources()).toEqual([]);
  }, 90_000);

  it('refuses an S3 source whose reader role may not list the trail bucket (s3-read), storing nothing', async () => {
    const arn = await createRole(
      'e2e-reader-no-s3',
      READER_TRUST,
      policy({ Action: 'cloudtrail:LookupEvents', Resource: '*' }),
    );
    const refused = await refusedSource(arn, { bucket: 'acme-trail' });
    expect(refused.failing).toEqual(['s3-read']);
    expect(refused.body.detail).toContain('s3-read');
    expect(refused.body.permissionStatements).toContainEqual(
      expect.objectContaining({ Action: 's3:ListBucket', Resource: 'arn:aws:s3:::acme-trail' }),
    );
    expect(await sources()).toEqual([]);
  }, 60_000);
});

/**
 * How audit reads the trail: the body fields a source of that kind adds, the emulator request its
 * reader makes to read the trail, and the one it must not make.
 */
const SOURCE_KINDS: Array<{ kind: string; reads: Record<string, string>; via: string; notVia?: string }> = [
  { kind: 'LookupEvents', reads: {}, via: 'LookupEvents' },
  // The seed's trail bucket: the emulator delivers the account's log files there (S3 ListObjectsV2
  // and GetObject); an S3 source replaces LookupEvents.
  { kind: 'S3', reads: { bucket: 'acme-trail' }, via: 'GetObject', notVia: 'LookupEvents' },
];

/** Requests the customer account's credentials made to the emulator, by action. */
function customerRequests(action: string): number {
  return stack.emulator.requestCounts({ action, accountId: CUSTOMER }).reduce((sum, c) => sum + c.count, 0);
}

describe.each(SOURCE_KINDS)('a run seen through a $kind trail source', ({ kind, reads, via, notVia }) => {
  const made = `e2e-made-${kind.toLowerCase()}`;
  let source: TrailSourceView;
  const runId = ulid();
  let timeline: RunTimeline;
  /** `customerRequests` of `via` and `notVia` once the source was saved. */
  let atSave: { via: number; notVia: number };

  it('registers the reader role through REST (one source per AWS account: an earlier one is removed first)', async () => {
    const leases = await new Kvm(stack.nc).open('audit_poller_leases');
    for (const earlier of await sources()) {
      // Its readers hold a lease per region while they read.
      for (const region of earlier.regions)
        expect((await leases.get(`trail.${earlier.id}.${region}`))?.operation).toBe('PUT');
      expect((await auditApi('DELETE', `/v1/audit/trail-sources/${earlier.id}`)).status).toBe(204);
      // Its readers stop right after the 204 (not before it): once they gave their leases back
      // (libs/audit/README.md, Poller), no request of theirs can be counted as this source's.
      for (const region of earlier.regions)
        await eventually(
          async () =>
            (await leases.get(`trail.${earlier.id}.${region}`))?.operation === 'PUT' ? undefined : true,
          30_000,
          `the reader of the removed source ${earlier.id} in ${region} to stop`,
        );
    }
    const created = await auditApi<TrailSourceView>('POST', '/v1/audit/trail-sources', {
      awsAccountId: CUSTOMER,
      regions: ['us-east-1'],
      roleArn: READER_ROLE,
      ...reads,
    });
    expect(created.status).toBe(201);
    source = created.body;
    atSave = { via: customerRequests(via), notVia: notVia ? customerRequests(notVia) : 0 };
    expect(source).toMatchObject({ roleArn: READER_ROLE, bucket: reads['bucket'] ?? null });
    expect((await sources()).map((s) => s.id)).toEqual([source.id]);
  }, 60_000);

  it('runs a tracked run that creates a role and chains into the deployer role, which changes it', async () => {
    // The user's AWS config, written by the run: a profile that chains from the run's credentials
    // (the environment) into the deployer, its session named after the run (apps/cli/README.md).
    const config = join(stack.dataDir, `aws-config-${kind}`);
    const home = join(stack.dataDir, `home-${kind}`);
    mkdirSync(home);
    const trust = policy({ Action: 'sts:AssumeRole', Principal: { Service: 'ec2.amazonaws.com' } });
    const permissions = policy({ Action: 's3:ListAllMyBuckets', Resource: '*' });
    const script = [
      'set -e',
      // The CLI caches the chained credentials under ~/.aws/cli/cache: a home of the run's own.
      `export HOME='${home}' AWS_DATA_PATH='${join(stack.dataDir, 'aws-data')}'`,
      `AWS="/usr/bin/aws --endpoint-url ${stack.emulator.endpoint} --output json"`,
      `printf '[profile deployer]\\nrole_arn = %s\\ncredential_source = Environment\\nrole_session_name = %s\\n' ` +
        `'${roleArn(DEPLOYER_ROLE)}' "$RUNTRAIL_RUN_ID" > '${config}'`,
      `$AWS iam create-role --role-name ${made} --assume-role-policy-document '${trust}' > /dev/null`,
      `AWS_CONFIG_FILE='${config}' $AWS --profile deployer iam put-role-policy --role-name ${made} ` +
        `--policy-name app --policy-document '${permissions}'`,
      `AWS_CONFIG_FILE='${config}' exec $AWS --profile deployer sts get-caller-identity`,
    ].join('\n');
    const result = await stack.execRun({ runId, ...caller }, ['sh', '-c', script]);

    expect(result).toMatchObject({ code: 0 });
    expect(JSON.parse(result.stdout)).toMatchObject({
      Arn: `arn:aws:sts::${CUSTOMER}:assumed-role/${DEPLOYER_ROLE}/${runId}`,
    });
  }, 90_000);

  it("shows the run's AssumeRoles seen in the trail, its CreateRole and the chained session's calls within a few polls", async () => {
    const runSession = `arn:aws:sts::${CUSTOMER}:assumed-role/${APP_ROLE}/${runId}@${SLUG}@acme`;
    const deployerSession = `arn:aws:sts::${CUSTOMER}:assumed-role/${DEPLOYER_ROLE}/${runId}`;
    timeline = await eventually(
      async () => {
        const reply = await auditApi<RunTimeline>('GET', `/v1/audit/runs/${runId}/timeline?limit=1000`);
        if (reply.status !== 200) return undefined;
        const events = reply.body.events.items;
        const complete =
          reply.body.issuances.length === 2 &&
          reply.body.issuances.every((i) => i.seenInTrail) &&
          events.some((e) => e.eventName === 'CreateRole') &&
          events.some((e) => e.eventName === 'PutRolePolicy') &&
          events.some((e) => e.eventName === 'GetCallerIdentity' && e.principalArn === deployerSession);
        return complete ? reply.body : undefined;
      },
      90_000,
      `the timeline of ${runId} with its issuances seen in the trail and the chained calls`,
    );

    expect(timeline.run).toMatchObject({
      runId,
      account: 'acme',
      callerSlug: SLUG,
      runType: 'TRACKED',
      endPhase: 'FINISHED',
    });
    expect(timeline.phases.map((p) => p.phase)).toEqual(
      expect.arrayContaining(['PLANNING', 'APPLYING', 'FINISHED']),
    );
    expect(timeline.issuances.map((i) => [i.phase, i.scope, i.roleArn, i.seenInTrail])).toEqual([
      ['PLANNING', 'read', roleArn(APP_ROLE), true],
      ['APPLYING', 'write', roleArn(APP_ROLE), true],
    ]);
    const calls = timeline.events.items.map((e) => [e.eventName, e.principalArn, e.roleArn, e.runId]);
    // runtrail's AssumeRoles of the integration's role, as the trail recorded them.
    expect(
      calls.filter(([name, , role]) => name === 'AssumeRole' && role === roleArn(APP_ROLE)),
    ).toHaveLength(2);
    expect(calls).toEqual(
      expect.arrayContaining([
        ['CreateRole', runSession, null, runId],
        // The chain: the run's session assumes the deployer, whose session changes the role.
        ['AssumeRole', runSession, roleArn(DEPLOYER_ROLE), runId],
        ['PutRolePolicy', deployerSession, null, runId],
        ['GetCallerIdentity', deployerSession, null, runId],
      ]),
    );
    const createRole = timeline.events.items.find((e) => e.eventName === 'CreateRole');
    expect(createRole?.resources).toContain(roleArn(made));
    // Read the way the source says: its reader's requests, never the other kind's.
    expect(customerRequests(via)).toBeGreaterThan(atSave.via);
    if (notVia) expect(customerRequests(notVia)).toBe(atSave.notVia);
  }, 120_000);

  it('runtrail audit timeline --json answers the same timeline', async () => {
    const printed = JSON.parse(await runtrail(['audit', 'timeline', runId, '--json'])) as RunTimeline;
    expect(printed.run).toEqual(timeline.run);
    expect(printed.issuances).toEqual(timeline.issuances);
    expect(printed.events.items.map((e) => e.eventId)).toEqual(
      expect.arrayContaining(timeline.events.items.map((e) => e.eventId)),
    );
  });

  it('runtrail audit who-changed <role name> names the run', async () => {
    const changes = JSON.parse(await runtrail(['audit', 'who-changed', made, '--json'])) as Page<EventView>;
    // Newest first. CloudTrail's times are whole seconds, so two calls of the same second have no
    // order of their own (the list then keeps a stable one, by event id, for its cursor).
    const items = changes.items.map((e) => [e.eventName, e.runId]);
    if (changes.items[0]?.eventTime === changes.items[1]?.eventTime)
      expect(items).toEqual(expect.arrayContaining([['PutRolePolicy', runId], ['CreateRole', runId]]));
    else expect(items).toEqual([['PutRolePolicy', runId], ['CreateRole', runId]]);
    expect(items).toHaveLength(2);
    const table = await runtrail(['audit', 'who-changed', made]);
    expect(table).toMatch(new RegExp(`iam:PutRolePolicy\\s+${runId}`));
    expect(table).toMatch(new RegExp(`iam:CreateRole\\s+${runId}`));
  });

  it("shows the source's health (REST and runtrail trail-sources list): polled, events ingested, no error", async () => {
    const [health] = (await auditApi<TrailSourceView>('GET', `/v1/audit/trail-sources/${source.id}`)).body
      .health;
    expect(health).toMatchObject({
      region: 'us-east-1',
      lastError: null,
      lastSuccessfulPollAt: expect.any(String),
    });
    expect(health?.eventsIngested).toBeGreaterThan(0);
    const readsFrom = reads['bucket'] ? `s3://${reads['bucket']}/` : 'LookupEvents';
    const row = (await runtrail(['trail-sources', 'list'])).split('\n').find((l) => l.startsWith(source.id));
    expect(row?.split(/\s+/)).toEqual([
      ...[source.id, CUSTOMER, 'us-east-1', READER_ROLE, readsFrom],
      ...[
        expect.stringMatching(/^\d{4}-/),
        expect.stringMatching(/^\d+s$/),
        expect.stringMatching(/^[1-9]\d*$/),
      ],
      '-',
    ]);
  });
});

describe('the reader credentials', () => {
  it("never appear in audit's output, its SQLite files or any NATS stream (scanned)", async () => {
    // What STS handed out, from the emulator's own state: audit's reader sessions (the pollers' and
    // the verifications'), and for good measure the runs' and the chained ones.
    const sessions = stack.issuedSessions();
    const readers = sessions.filter((s) => s.roleArn === READER_ROLE);
    expect(readers.map((s) => s.sessionName)).toContain(READER_SESSION);
    const secrets = sessions.flatMap((s) => [s.secretAccessKey, s.sessionToken]);

    // Every table as rows, and the database files (with WAL) as bytes.
    const db = new Database(stack.auditDatabasePath, { readonly: true, fileMustExist: true });
    const tables = db
      .prepare(`select name from sqlite_master where type = 'table'`)
      .pluck()
      .all() as string[];
    const rows = JSON.stringify(tables.map((t) => db.prepare(`select * from "${t}"`).all()));
    db.close();
    const dir = join(stack.auditDatabasePath, '..');
    const files = readdirSync(dir)
      .filter((f) => f.startsWith('audit.sqlite'))
      .map((f) => readFileSync(join(dir, f)).toString('latin1'));
    // Every message of every stream, audit's KV bucket of leases included.
    const jsm = await jetstreamManager(stack.nc);
    const streams: string[] = [];
    for await (const info of jsm.streams.list()) streams.push(info.config.name);
    const messages = (await Promise.all(streams.map((s) => stack.streamMessages(s))))
      .flat()
      .map((m) => `${m.subject} ${m.data}`)
      .join('\n');
    const logs = stack.audit.text;

    // The scan reads what it should: the reader's own AssumeRole came back through the trail with
    // its key id, runs and issuances went over NATS, audit logged its work.
    expect(readers.some((r) => rows.includes(r.accessKeyId))).toBe(true);
    expect(files.join('').length).toBeGreaterThan(0);
    expect(streams).toEqual(expect.arrayContaining(['RUNS', 'CREDENTIALS', 'KV_audit_poller_leases']));
    expect(messages).toContain('credentials.v1.issued');
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(20);
      expect(logs.includes(secret)).toBe(false);
      expect(rows.includes(secret)).toBe(false);
      expect(files.some((f) => f.includes(secret))).toBe(false);
      expect(messages.includes(secret)).toBe(false);
    }
  }, 60_000);
});
