import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VerifyRoleReply } from '@runtrail/contracts';
import { ulid } from 'ulid';
import type { ApiReply, IntegrationsApi } from './support/integrations.api';
import { ROOT } from './support/service.process';
import {
  CUSTOMER,
  CUSTOMER_ADMIN,
  E2eStack,
  PLATFORM_ACCOUNT,
  PLATFORM_KEY,
  type ScheduledRun,
} from './support/stack.harness';

// The flows of the seed documents (../shared/seeds: 000, 001, 003, 004), followed as a Spacelift user
// would, with only what a user has: the REST API, the customer's IAM through /usr/bin/aws, and
// `runtrail exec` running /usr/bin/aws. The walk-through in libs/integrations/README.md ("Coming
// from Spacelift") is this file in prose; change both together.
let stack: E2eStack;
let secretsDir: string;
const tenants: IntegrationsApi[] = [];

/** A refusal as the REST API answers it (problem+json with the verifier's verdict). */
type Problem = { code: string; detail: string; verdict: VerifyRoleReply };

const roleArn = (name: string) => `arn:aws:iam::${CUSTOMER}:role/${name}`;

/** A trust policy as a user writes it: one statement, as in the seeds. */
function policy(statement: Record<string, unknown>): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', ...statement }] });
}

/** Seed 001's trust policy for runtrail's platform account, with `externalIdPattern` under StringLike. */
function platformTrust(externalIdPattern: string): string {
  return policy({
    Action: 'sts:AssumeRole',
    Condition: { StringLike: { 'sts:ExternalId': externalIdPattern } },
    Principal: { AWS: PLATFORM_ACCOUNT },
  });
}

/** `aws iam create-role` as the customer's admin; the role's ARN. */
async function createRole(name: string, trustPolicy: string): Promise<string> {
  const created = await stack.awsCli([
    ...['iam', 'create-role', '--role-name', name],
    ...['--assume-role-policy-document', trustPolicy, '--output', 'json'],
  ]);
  expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: '' });
  return (JSON.parse(created.stdout) as { Role: { Arn: string } }).Role.Arn;
}

async function created<T = Record<string, unknown>>(reply: Promise<ApiReply<T>>): Promise<T> {
  const { status, body } = await reply;
  expect({ status, body }).toEqual({ status: 201, body: expect.anything() });
  return body;
}

const api = () => stack.api;
const createIntegration = (body: Record<string, unknown>, tenant = api()) =>
  created<{ id: string }>(tenant.request('POST', '/integrations', body));
/** Attach with the API's defaults (read and write), as Spacelift's attachment does. */
const attach = (integrationId: string, callerId: string, tenant = api()) =>
  tenant.request<Record<string, unknown> & Problem>('POST', `/integrations/${integrationId}/attachments`, {
    callerId,
  });

/** The checks of a 422 verdict that failed, by name. */
function failing(reply: ApiReply<Problem>): string[] {
  expect(reply.status).toBe(422);
  expect(reply.body.code).toBe('UNSAFE_TRUST_POLICY');
  return reply.body.verdict.checks.filter((c) => c.status === 'fail').map((c) => c.check);
}

/**
 * The run's command: keeps the secrets it got (for the leak scan at the end), then runs `script`
 * (shell; `$AWS` is /usr/bin/aws on the emulator).
 */
function inRun(tag: string, script: string): string[] {
  return [
    'sh',
    '-c',
    `printf '%s\\n%s\\n' "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" > ${secretsDir}/${tag}; ` +
      `AWS="/usr/bin/aws --endpoint-url ${stack.emulator.endpoint}"; ${script}`,
  ];
}

/** Runs `aws sts get-caller-identity` in a run of `run` and answers the ARN it printed. */
async function runWhoAmI(
  tag: string,
  run: Omit<ScheduledRun, 'runId'>,
): Promise<{ runId: string; arn: string }> {
  const runId = ulid();
  const result = await stack.execRun(
    { ...run, runId },
    inRun(tag, 'exec $AWS sts get-caller-identity --output json'),
  );
  expect(result).toMatchObject({ code: 0 });
  return { runId, arn: (JSON.parse(result.stdout) as { Arn: string }).Arn };
}

beforeAll(async () => {
  const build = spawnSync(process.execPath, ['tools/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  // The OIDC flow creates the IAM OIDC provider itself, as seed 003 does.
  stack = await E2eStack.start({ integrations: 'real', oidcRole: false });
  secretsDir = join(stack.dataDir, 'secrets');
  mkdirSync(secretsDir);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the seed flows, as a Spacelift user follows them', () => {
  // Shared by "any stack" and "chaining": the role the run's session chains from.
  let anyStack: { callerId: string; roleArn: string; runId: string };

  it('any stack (001): a role trusting the platform account for acme@*, attached with the defaults, runs as <runId>@<slug>@acme', async () => {
    const arn = await createRole('seed-any-stack', platformTrust('acme@*'));
    const callerId = await api().registerStack('network');
    const integration = await createIntegration({ name: 'any-stack', roleArn: arn });
    const attached = await attach(integration.id, callerId);

    expect(attached.status).toBe(201);
    expect(attached.body).toMatchObject({ read: true, write: true, verification: { safe: true } });
    // Both scopes are enabled, so there is no other scope whose separation could be checked.
    expect((attached.body['verification'] as VerifyRoleReply).checks.map((c) => [c.check, c.status])).toEqual(
      [
        ['assume-with-external-id:read', 'pass'],
        ['assume-with-external-id:write', 'pass'],
        ['confused-deputy', 'pass'],
        ['foreign-external-id', 'pass'],
      ],
    );
    const { runId, arn: sessionArn } = await runWhoAmI('any-stack', { callerId, slug: 'network' });
    expect(sessionArn).toBe(`arn:aws:sts::${CUSTOMER}:assumed-role/seed-any-stack/${runId}@network@acme`);
    anyStack = { callerId, roleArn: arn, runId };
  });

  it('chaining (000): in the run, the session assumes a second role that trusts the first, named after the run', async () => {
    await createRole(
      'seed-chained',
      policy({ Action: 'sts:AssumeRole', Principal: { AWS: anyStack.roleArn } }),
    );
    const runId = ulid();
    // What Terraform's second provider does with session_name = var.runtrail_run_id.
    const script =
      `set -e; set -- $($AWS sts assume-role --role-arn ${roleArn('seed-chained')} ` +
      '--role-session-name "$TF_VAR_runtrail_run_id" ' +
      "--query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text); " +
      // botocore reads AWS_SECURITY_TOKEN before AWS_SESSION_TOKEN, and exec exports both (as Spacelift does).
      'AWS_ACCESS_KEY_ID=$1 AWS_SECRET_ACCESS_KEY=$2 AWS_SESSION_TOKEN=$3 AWS_SECURITY_TOKEN=$3 ' +
      'exec $AWS sts get-caller-identity --output json';
    const result = await stack.execRun(
      { runId, callerId: anyStack.callerId, slug: 'network' },
      inRun('chained', script),
    );

    // On failure the diff shows what exec and the command printed.
    expect(result).toMatchObject({ code: 0 });
    expect(JSON.parse(result.stdout)).toMatchObject({
      Arn: `arn:aws:sts::${CUSTOMER}:assumed-role/seed-chained/${runId}`,
    });
    // CloudTrail shows who chained: the run's own session.
    const chained = stack.emulator
      .events(CUSTOMER)
      .find(
        (e) =>
          e.eventName === 'AssumeRole' && JSON.stringify(e.requestParameters ?? {}).includes('seed-chained'),
      );
    expect(chained?.userIdentity).toMatchObject({
      arn: `arn:aws:sts::${CUSTOMER}:assumed-role/seed-any-stack/${runId}@network@acme`,
    });
  });

  it('specific stack (001): acme@*@stack-a@* lets stack-a attach; stack-b gets 422 with the failing checks and a statement to paste', async () => {
    const arn = await createRole('seed-stack-a-only', platformTrust('acme@*@stack-a@*'));
    const stackA = await api().registerStack('stack-a');
    const stackB = await api().registerStack('stack-b');
    const integration = await createIntegration({ name: 'stack-a-only', roleArn: arn });

    expect((await attach(integration.id, stackA)).status).toBe(201);
    const refused = await attach(integration.id, stackB);
    expect(failing(refused)).toEqual(['assume-with-external-id:read', 'assume-with-external-id:write']);
    expect(refused.body.detail).toContain('stack-b');
    expect(refused.body.verdict.suggestedStatement).toEqual({
      Sid: `Runtrail${integration.id}`,
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${PLATFORM_ACCOUNT}:root` },
      Action: 'sts:AssumeRole',
      Condition: {
        StringEquals: {
          'sts:ExternalId': [`acme@${integration.id}@stack-b@read`, `acme@${integration.id}@stack-b@write`],
        },
      },
    });
    // Nothing was stored for stack-b.
    const attachments = await api().request<{ items: Array<{ caller: { slug: string } }> }>(
      'GET',
      `/attachments?integrationId=${integration.id}`,
    );
    expect(attachments.body.items.map((a) => a.caller.slug)).toEqual(['stack-a']);
  });

  it("provider order (004): integration before the role, the external ids' statement, the role from its jsondecode, then attach and run", async () => {
    const name = 'seed-provider-order';
    const callerId = await api().registerStack('my-stack');
    // The role does not exist yet: creating the integration asks nothing of AWS.
    const integration = await createIntegration({ name, roleArn: roleArn(name) });
    expect(stack.emulator.events(CUSTOMER).filter((e) => JSON.stringify(e).includes(roleArn(name)))).toEqual(
      [],
    );

    const ids = await api().request<{
      integrationId: string;
      read: string;
      write: string;
      assumeRolePolicyStatement: string;
    }>('GET', `/integrations/${integration.id}/external-ids?stack=my-stack&read=true&write=true`);
    expect(ids.status).toBe(200);
    expect(ids.body).toMatchObject({
      integrationId: integration.id,
      caller: { type: 'stack', id: callerId, slug: 'my-stack' },
      read: `acme@${integration.id}@my-stack@read`,
      write: `acme@${integration.id}@my-stack@write`,
    });
    // jsonencode({ Version = "2012-10-17", Statement = [jsondecode(...assume_role_policy_statement)] })
    const document = JSON.stringify({
      Version: '2012-10-17',
      Statement: [JSON.parse(ids.body.assumeRolePolicyStatement) as unknown],
    });
    await createRole(name, document);

    const attached = await attach(integration.id, callerId);
    expect(attached.status).toBe(201);
    const { runId, arn } = await runWhoAmI('provider-order', { callerId, slug: 'my-stack' });
    expect(arn).toBe(`arn:aws:sts::${CUSTOMER}:assumed-role/${name}/${runId}@my-stack@acme`);
  });

  it('OIDC (003): a provider for runtrail\'s issuer, a role trusting aud and "*:stack:oidc-is-awesome:*"; that stack runs, another is refused', async () => {
    const space = 'production-01HND497T9JKR76MR3KA2CDJHP';
    expect(await created(api().request('POST', '/spaces', { id: space, name: 'production' }))).toMatchObject({
      id: space,
      parent: 'root',
    });
    const awesome = await api().registerStack('oidc-is-awesome', space);
    const other = await api().registerStack('oidc-is-not-it', space);

    // The issuer from discovery; the audience runtrail uses: the account's oidcAudience, unset here,
    // so the issuer's host name.
    const discovery = (await (
      await fetch(`${stack.oidcPublicUrl}/oidc/acme/.well-known/openid-configuration`)
    ).json()) as { issuer: string };
    const account = await api().request<{ settings: { oidcAudience: string | null } }>('GET', '/account');
    expect(account.body.settings.oidcAudience).toBeNull();
    const audience = new URL(discovery.issuer).hostname;
    const provider = await stack.awsCli([
      ...['iam', 'create-open-id-connect-provider', '--url', discovery.issuer, '--client-id-list', audience],
      // This CLI version requires a thumbprint; AWS no longer uses it for an https issuer.
      ...['--thumbprint-list', '0'.repeat(40), '--output', 'json'],
    ]);
    expect(provider.code).toBe(0);
    const providerArn = (JSON.parse(provider.stdout) as { OpenIDConnectProviderArn: string })
      .OpenIDConnectProviderArn;
    const host = discovery.issuer.replace(/^https?:\/\//, '');
    expect(providerArn).toBe(`arn:aws:iam::${CUSTOMER}:oidc-provider/${host}`);
    const oidcTrust = (sub: string) =>
      policy({
        Action: 'sts:AssumeRoleWithWebIdentity',
        Principal: { Federated: providerArn },
        Condition: { StringEquals: { [`${host}:aud`]: audience }, StringLike: { [`${host}:sub`]: sub } },
      });
    const arn = await createRole('seed-oidc', oidcTrust('*:stack:oidc-is-awesome:*'));
    const integration = await createIntegration({ name: 'oidc', roleArn: arn, mode: 'oidc', spaceId: space });

    expect((await attach(integration.id, awesome)).status).toBe(201);
    const { runId, arn: sessionArn } = await runWhoAmI('oidc', {
      callerId: awesome,
      slug: 'oidc-is-awesome',
      spaceId: space,
    });
    expect(sessionArn).toBe(`arn:aws:sts::${CUSTOMER}:assumed-role/seed-oidc/${runId}@oidc-is-awesome@acme`);
    // Plan and apply federated with seed 003's sub, in the stack's space.
    const subs = stack.emulator
      .events(CUSTOMER)
      .filter((e) => e.eventName === 'AssumeRoleWithWebIdentity' && JSON.stringify(e).includes(runId))
      .map((e) => (e.userIdentity as { userName?: string } | undefined)?.userName);
    expect(subs).toEqual(
      ['read', 'write'].map(
        (scope) => `space:${space}:stack:oidc-is-awesome:run_type:TRACKED:scope:${scope}`,
      ),
    );

    expect(failing(await attach(integration.id, other))).toEqual([
      'oidc-web-identity:read',
      'oidc-web-identity:write',
    ]);

    // Seed 003's space condition trusts every stack of the space: accepted, with a warning.
    const spaceOnly = await createIntegration({
      name: 'oidc-space-only',
      roleArn: await createRole('seed-oidc-space-only', oidcTrust(`space:${space}:*`)),
      mode: 'oidc',
      spaceId: space,
    });
    const attached = await attach(spaceOnly.id, awesome);
    expect(attached.status).toBe(201);
    expect(JSON.stringify(attached.body)).toContain('"check":"oidc-same-space-caller:read","status":"warn"');
  });

  describe('refusals', () => {
    let callerId: string;

    beforeAll(async () => {
      callerId = await api().registerStack('refusals');
    });

    it('a role accepting any external id ("*") is refused: another tenant could use it', async () => {
      const arn = await createRole('seed-any-external-id', platformTrust('*'));
      const integration = await createIntegration({ name: 'any-external-id', roleArn: arn });
      const refused = await attach(integration.id, callerId);
      expect(failing(refused)).toEqual(['foreign-external-id']);
      expect(refused.body.verdict.checks.find((c) => c.check === 'foreign-external-id')?.message).toContain(
        'runtrail-foreign-tenant@',
      );
    });

    it("another tenant cannot register acme's role: acme@* does not accept globex's external ids", async () => {
      const globex = await stack.tenant('globex');
      tenants.push(globex);
      const { id: globexStack } = await created<{ id: string }>(
        globex.request('POST', '/callers', { type: 'stack', slug: 'network' }),
      );
      const integration = await createIntegration(
        { name: 'borrowed', roleArn: roleArn('seed-any-stack') },
        globex,
      );
      const refused = await attach(integration.id, globexStack, globex);
      expect(failing(refused)).toEqual(['assume-with-external-id:read', 'assume-with-external-id:write']);
      expect(refused.body.detail).toContain(`globex@${integration.id}@network@read`);
    });

    it('sourceIdentity on a role without sts:SetSourceIdentity is refused, with a statement that adds it', async () => {
      const arn = await createRole('seed-no-source-identity', platformTrust('acme@*'));
      const integration = await createIntegration({
        name: 'source-identity',
        roleArn: arn,
        sourceIdentity: true,
      });
      const refused = await attach(integration.id, callerId);
      expect(failing(refused)).toEqual(['set-source-identity:read', 'set-source-identity:write']);
      expect(refused.body.verdict.suggestedStatement).toMatchObject({
        Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
      });
    });
  });

  it('never shows a secret in a REST reply, a service log or exec output', async () => {
    const issued = readdirSync(secretsDir).flatMap((f) =>
      readFileSync(join(secretsDir, f), 'utf8').trim().split('\n'),
    );
    // any-stack, chained, provider-order, oidc: secret key and session token each.
    expect(issued.length).toBe(8);
    const secrets = [...issued, PLATFORM_KEY.secretAccessKey, CUSTOMER_ADMIN.secretAccessKey];
    const replies = [...stack.api.replies, ...tenants.flatMap((t) => t.replies)].join('\n');
    const logs = [...stack.services, ...stack.brokers, stack.issuer].map((s) => s.text).join('\n');
    const execOutput = stack.execOutputs.join('\n');
    // The scan reads what it should: the replies hold the integrations, the logs the services' work.
    expect(replies).toContain('seed-provider-order');
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(20);
      expect(replies.includes(secret)).toBe(false);
      expect(logs.includes(secret)).toBe(false);
      expect(execOutput.includes(secret)).toBe(false);
    }
  });
});
