import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ulid } from 'ulid';
import { launchBrowser, seriousViolations } from './support/browser';
import { CUSTOMER, ROOT, StandaloneStack } from './support/standalone-stack';

// The dashboard in Debian's chromium against the real stack (nats-server with the shipped auth.conf,
// standalone from the build, the aws-emulator), with data made by `runtrail exec` of tracked runs
// and read from the emulator's CloudTrail through a trail source, as a user sets it up.
const SCREENSHOTS = join(__dirname, '../screenshots');
const DEMO_ROLE = `arn:aws:iam::${CUSTOMER}:role/runtrail-demo`;

interface RunRef {
  runId: string;
  callerId: string;
  slug: string;
}

/** What the network run does: changes a role, chains into it, and tries an AssumeRole it may not. */
const NETWORK_SCRIPT = `set -e
/usr/bin/aws --endpoint-url "$EP" iam put-role-policy --role-name app-deployer --policy-name deploy --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}'
set -- $(/usr/bin/aws --endpoint-url "$EP" sts assume-role --role-arn arn:aws:iam::${CUSTOMER}:role/app-deployer --role-session-name chained-deploy --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
AWS_ACCESS_KEY_ID=$1 AWS_SECRET_ACCESS_KEY=$2 AWS_SESSION_TOKEN=$3 AWS_SECURITY_TOKEN=$3 /usr/bin/aws --endpoint-url "$EP" sts get-caller-identity --output text
/usr/bin/aws --endpoint-url "$EP" sts assume-role --role-arn ${DEMO_ROLE} --role-session-name sneaky >/dev/null 2>&1 || echo "refused as expected"
`;

async function expectAccessible(page: Page, view: string): Promise<void> {
  expect({ view, violations: await seriousViolations(page) }).toEqual({ view, violations: [] });
}

async function signIn(page: Page, baseUrl: string, key: string): Promise<void> {
  await page.goto(`${baseUrl}/dashboard/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/dashboard\/runs$/);
}

describe('dashboard (browser, real stack)', () => {
  let stack: StandaloneStack;
  let adminKey: string;
  let prodReaderKey: string;
  let network: RunRef;
  let payments: RunRef;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;

  beforeAll(async () => {
    const build = spawnSync(process.execPath, ['tools/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    stack = await StandaloneStack.start();
    adminKey = await stack.bootstrap('acme');
    const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => stack.ok<T>(adminKey, method, path, body);

    // The account as an admin sets it up: a prod space, two stacks, an integration on the demo role.
    await api('POST', '/v1/spaces', { id: 'prod', name: 'prod' });
    const networkId = (await api<{ id: string }>('POST', '/v1/callers', { type: 'stack', slug: 'network' })).id;
    const paymentsId = (await api<{ id: string }>('POST', '/v1/callers', { type: 'stack', slug: 'payments', spaceId: 'prod' })).id;
    const integration = await api<{ id: string }>('POST', '/v1/integrations', {
      name: 'demo', roleArn: DEMO_ROLE, mode: 'platform', durationSeconds: 900, region: 'us-east-1', sessionTagging: true, sourceIdentity: true,
    });
    for (const callerId of [networkId, paymentsId]) await api('POST', `/v1/integrations/${integration.id}/attachments`, { callerId, read: true, write: true });
    const schedulerKey = (await api<{ key: string }>('POST', '/v1/api-keys', { name: 'scheduler', role: 'scheduler' })).key;
    prodReaderKey = (await api<{ key: string }>('POST', '/v1/api-keys', { name: 'prod-auditor', role: 'reader', spaceSubtree: 'prod' })).key;

    // The customer's IAM: a role the network run changes and chains into.
    await stack.createChainRole('app-deployer');
    await stack.putRolePolicy('runtrail-demo', 'deploy-app', [
      { Effect: 'Allow', Action: ['iam:PutRolePolicy', 'sts:AssumeRole', 'sts:SetSourceIdentity'], Resource: `arn:aws:iam::${CUSTOMER}:role/app-deployer` },
      { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: DEMO_ROLE },
    ]);
    // Audit reads the customer's CloudTrail with the seeded reader role.
    await api('POST', '/v1/audit/trail-sources', { awsAccountId: CUSTOMER, regions: ['us-east-1'], roleArn: `arn:aws:iam::${CUSTOMER}:role/runtrail-trail-reader` });

    network = { runId: ulid(), callerId: networkId, slug: 'network' };
    const ran = await stack.exec(network, schedulerKey, NETWORK_SCRIPT);
    if (ran.code !== 0) throw new Error(`runtrail exec of the network run failed (${ran.code}):\n${ran.output}`);
    expect(ran.output).toContain('assumed-role/app-deployer/chained-deploy');
    payments = { runId: ulid(), callerId: paymentsId, slug: 'payments' };
    const paid = await stack.exec(payments, schedulerKey, '/usr/bin/aws --endpoint-url "$EP" sts get-caller-identity --output text');
    if (paid.code !== 0) throw new Error(`runtrail exec of the payments run failed (${paid.code}):\n${paid.output}`);

    // The trail reaches audit through the poller: wait for the network run's calls and finding.
    for (const deadline = Date.now() + 90_000; ; ) {
      const timeline = await stack.call<{ events: { items: Array<{ eventName: string }> } }>(adminKey, 'GET', `/v1/audit/runs/${network.runId}/timeline?limit=1000`);
      const findings = await stack.call<{ items: unknown[] }>(adminKey, 'GET', `/v1/audit/findings?runId=${network.runId}`);
      const names = timeline.status === 200 ? timeline.body.events.items.map((e) => e.eventName) : [];
      if (names.includes('PutRolePolicy') && names.includes('GetCallerIdentity') && findings.body.items?.length) break;
      if (Date.now() > deadline) throw new Error(`the network run's trail did not reach audit: ${JSON.stringify(timeline.body)}\n${stack.output.join('').slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    browser = await launchBrowser();
  }, 420_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('signs in with a key, opens a run from the list, its AssumeRole and calls, who changed a role, a finding, exports CSV', async () => {
    const page = await browser.context.newPage();
    const base = stack.baseUrl;
    await page.goto(`${base}/dashboard/`);
    await page.waitForURL(/\/dashboard\/signin$/);
    await expectAccessible(page, 'sign-in');
    await page.screenshot({ path: join(SCREENSHOTS, 'sign-in.png') });
    await signIn(page, base, adminKey);

    // Runs: both runs with their counts; the key is kept in this tab only, never in the URL or page.
    const runs = page.getByRole('table', { name: 'Runs, newest first' });
    await runs.getByRole('link', { name: network.runId }).waitFor();
    await runs.getByRole('link', { name: payments.runId }).waitFor();
    expect(page.url()).not.toContain(adminKey);
    expect(await page.content()).not.toContain(adminKey.split('.')[2]);
    expect(await page.evaluate<string | null>("sessionStorage.getItem('runtrail.apiKey')")).toBe(adminKey);
    await expectAccessible(page, 'runs');
    await page.screenshot({ path: join(SCREENSHOTS, 'runs.png') });

    // Filter by stack: only that stack's runs.
    await page.getByLabel('Stack / module').selectOption({ label: 'stack payments' });
    await runs.getByRole('link', { name: network.runId }).waitFor({ state: 'detached' });
    await runs.getByRole('link', { name: payments.runId }).waitFor();
    expect(page.url()).toContain(`callerId=${payments.callerId}`);
    await page.getByLabel('Stack / module').selectOption({ label: 'any' });
    await runs.getByRole('link', { name: network.runId }).waitFor();

    // A run's timeline: the issuance's AssumeRole, the calls, the chained session nested, the refusal.
    await runs.getByRole('link', { name: network.runId }).click();
    await page.waitForURL(new RegExp(`/dashboard/runs/${network.runId}$`));
    await page.getByRole('heading', { name: 'Issuances' }).waitFor();
    const chained = page.getByRole('region', { name: /session arn:aws:sts::222222222222:assumed-role\/app-deployer\/chained-deploy/ });
    await chained.getByText('sts:GetCallerIdentity').waitFor();
    await expect(chained.getByText(/chained session/).count()).resolves.toBe(1);
    const runSession = page.getByRole('region', { name: new RegExp(`session arn:aws:sts::222222222222:assumed-role/runtrail-demo/${network.runId}`) });
    await runSession.getByText('iam:PutRolePolicy').waitFor();
    await runSession.getByText('AccessDenied').first().waitFor();
    await page.getByText('sts:AssumeRole').first().waitFor();
    await page.getByText('seen', { exact: true }).first().waitFor();
    await expectAccessible(page, 'run timeline');
    await page.screenshot({ path: join(SCREENSHOTS, 'run-timeline.png'), fullPage: true });

    // Deep link: the same URL opens the same run (the server answers index.html, the app routes).
    await page.goto(`${base}/dashboard/runs/${network.runId}`);
    await page.getByRole('heading', { name: 'Issuances' }).waitFor();

    // Who changed app-deployer: the network run's PutRolePolicy, linked to the run.
    await page.getByRole('link', { name: 'Who changed…' }).click();
    await page.getByLabel('Resource ARN or name').fill(`arn:aws:iam::${CUSTOMER}:role/app-deployer`);
    await page.keyboard.press('Enter');
    const changes = page.getByRole('table', { name: /Changes to/ });
    await changes.getByText('PutRolePolicy').waitFor();
    await changes.getByRole('link', { name: network.runId }).waitFor();
    await expectAccessible(page, 'who changed');
    await page.screenshot({ path: join(SCREENSHOTS, 'who-changed.png') });

    // Findings: the refused AssumeRole on the integrated role, linked to its run and call; CSV export.
    await page.getByRole('link', { name: 'Findings' }).click();
    const findings = page.getByRole('table', { name: 'Findings, newest first' });
    await findings.getByText('denied_assume_role').first().waitFor();
    await expectAccessible(page, 'findings');
    await page.screenshot({ path: join(SCREENSHOTS, 'findings.png') });
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const csv = readFileSync((await (await download).path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('detectedAt,id,kind,severity,account,runId,roleArn,awsAccountId,eventId,message,details');
    expect(csv).toContain(`denied_assume_role`);
    expect(csv).toContain(network.runId);
    await findings.getByRole('link', { name: new RegExp(`run ${network.runId} → the call`) }).first().click();
    await page.waitForURL(new RegExp(`/dashboard/runs/${network.runId}\\?event=`));
    const highlighted = page.locator('tr[aria-current="true"]');
    await highlighted.getByText('AccessDenied').waitFor();

    // Integrations: health, the attachments' statements to paste, the trail source's health.
    await page.getByRole('link', { name: 'Integrations' }).click();
    await page.getByRole('region', { name: 'integration demo' }).getByText('healthy', { exact: true }).waitFor();
    await page.getByLabel('trust statement for network').getByText(/sts:ExternalId/).waitFor();
    await page.getByRole('table', { name: /Trail sources/ }).getByText('us-east-1').waitFor();
    await expectAccessible(page, 'integrations');
    await page.screenshot({ path: join(SCREENSHOTS, 'integrations.png'), fullPage: true });

    // Sign out: the key is gone from the tab, the views ask for a key again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/dashboard\/signin/);
    expect(await page.evaluate<string | null>("sessionStorage.getItem('runtrail.apiKey')")).toBeNull();
    await page.goto(`${base}/dashboard/runs/${network.runId}`);
    await page.waitForURL(/\/dashboard\/signin$/);
    await page.close();
  }, 180_000);

  it("a reader key limited to a space sees that space's runs only; another space's run is not found", async () => {
    const page = await browser.context.newPage();
    await signIn(page, stack.baseUrl, prodReaderKey);
    const runs = page.getByRole('table', { name: 'Runs, newest first' });
    await runs.getByRole('link', { name: payments.runId }).waitFor();
    await expect(runs.getByRole('link', { name: network.runId }).count()).resolves.toBe(0);
    await page.goto(`${stack.baseUrl}/dashboard/runs/${network.runId}`);
    await page.getByRole('alert').getByText(/Not Found \(404 NOT_FOUND\)/).waitFor();
    await page.getByRole('alert').getByText(new RegExp(`run ${network.runId}: no such run`)).waitFor();
    await page.close();
  }, 120_000);

  it('GET /v1/audit/runs: counts, filters, keyset pages, CSV export, space-limited keys, unknown parameters refused', async () => {
    type Runs = { items: Array<{ runId: string; callerSlug: string; spaceId: string; phase: string; issuances: number; awsCalls: number; deniedCalls: number; findings: number }>; nextCursor: string | null };
    const all = await stack.ok<Runs>(adminKey, 'GET', '/v1/audit/runs');
    expect(all.items.map((r) => r.runId)).toEqual([payments.runId, network.runId]);
    const net = all.items[1]!;
    expect(net).toMatchObject({ callerSlug: 'network', spaceId: 'root', phase: 'FINISHED' });
    expect(net.issuances).toBeGreaterThanOrEqual(2);
    expect(net.awsCalls).toBeGreaterThanOrEqual(5);
    expect(net.deniedCalls).toBeGreaterThanOrEqual(1);
    expect(net.findings).toBeGreaterThanOrEqual(1);

    const first = await stack.ok<Runs>(adminKey, 'GET', '/v1/audit/runs?limit=1');
    expect(first.items.map((r) => r.runId)).toEqual([payments.runId]);
    const second = await stack.ok<Runs>(adminKey, 'GET', `/v1/audit/runs?limit=1&cursor=${first.nextCursor}`);
    expect(second).toEqual({ items: [expect.objectContaining({ runId: network.runId })], nextCursor: null });

    expect((await stack.ok<Runs>(adminKey, 'GET', `/v1/audit/runs?callerId=${network.callerId}`)).items.map((r) => r.runId)).toEqual([network.runId]);
    expect((await stack.ok<Runs>(adminKey, 'GET', '/v1/audit/runs?spaceId=prod&runType=TRACKED&phase=FINISHED')).items.map((r) => r.runId)).toEqual([payments.runId]);
    expect((await stack.ok<Runs>(adminKey, 'GET', '/v1/audit/runs?phase=PLANNING')).items).toEqual([]);
    const later = new Date(Date.now() + 60_000).toISOString();
    expect((await stack.ok<Runs>(adminKey, 'GET', `/v1/audit/runs?from=${later}`)).items).toEqual([]);
    expect((await stack.ok<Runs>(adminKey, 'GET', `/v1/audit/runs?to=${later}`)).items).toHaveLength(2);
    expect((await stack.ok<Runs>(prodReaderKey, 'GET', '/v1/audit/runs')).items.map((r) => r.runId)).toEqual([payments.runId]);

    const csv = await fetch(`${stack.baseUrl}/v1/audit/runs?format=csv&limit=1`, { headers: { authorization: `Bearer ${adminKey}` } });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('x-next-cursor')).toBe(first.nextCursor);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toBe('runId,startedAt,endedAt,phase,endPhase,runType,spaceId,callerType,callerId,callerSlug,issuances,awsCalls,deniedCalls,findings');
    expect(lines[1]).toContain(payments.runId);

    const bad = await stack.call<{ code: string; detail: string }>(adminKey, 'GET', '/v1/audit/runs?stack=network');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    expect(bad.body.detail).toContain('stack');
  }, 60_000);

  it('audit serves the built files at /dashboard/: index.html for deep links, cached assets, 404 for missing files, nothing outside', async () => {
    const get = (path: string) => fetch(`${stack.baseUrl}${path}`, { redirect: 'manual' });
    const bare = await get('/dashboard');
    expect([bare.status, bare.headers.get('location')]).toEqual([301, '/dashboard/']);
    const deep = await get(`/dashboard/runs/${network.runId}`);
    expect(deep.status).toBe(200);
    expect(deep.headers.get('cache-control')).toBe('no-cache');
    expect(deep.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await deep.text();
    const script = html.match(/src="(\/dashboard\/assets\/[^"]+\.js)"/)?.[1];
    expect(script).toBeDefined();
    const asset = await get(script!);
    expect([asset.status, asset.headers.get('cache-control')]).toEqual([200, 'public, max-age=31536000, immutable']);
    const missing = await get('/dashboard/assets/missing.js');
    expect([missing.status, missing.headers.get('content-type')]).toEqual([404, expect.stringMatching(/^application\/problem\+json/)]);
    for (const path of ['/dashboard/%2e%2e/%2e%2e/%2e%2e/package.json', '/dashboard/..%2f..%2f..%2fpackage.json', '/dashboard/.well-known/x.json']) {
      const outside = await get(path);
      expect({ path, status: outside.status >= 400 }).toEqual({ path, status: true });
      expect(await outside.text()).not.toContain('"devDependencies"');
    }
  });
});
