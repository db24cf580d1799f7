import { CreateRoleCommand, UpdateAssumeRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { AuthenticateApiKeyRequest, ResolveIntegrationsRequest, RuntrailError } from '@runtrail/contracts';
import { describeEachDatabase, freePort, startNatsServer, startTestEmulator } from '@runtrail/testing';
import { createHash } from 'node:crypto';
import { DEMO_ROLE, IntegrationsApp } from '../spec/integrations-app.harness';
import { ReverifyScheduler } from './verification/reverify.scheduler';

type Attachment = {
  id: string;
  integrationId: string;
  caller: { id: string; slug: string };
  read: boolean;
  write: boolean;
  autoattachLabel: string | null;
};
type Problem = { code: string; issues?: Array<{ path: string }> };
const CUSTOMER_ADMIN = {
  accessKeyId: 'AKIA2222CUSTOMERADM1',
  secretAccessKey: 'customer-admin-local-secret-not-a-real-key',
};

describeEachDatabase('integrations: callers, attachments, autoattach, events, resolve', (db) => {
  let api: IntegrationsApp;
  let admin: string;

  beforeAll(async () => {
    api = await IntegrationsApp.start(
      db.databaseUrl,
      {
        nats: await startNatsServer(),
        emulator: await startTestEmulator(),
        ports: [await freePort(), await freePort()],
      },
      { OIDC_PUBLIC_URL: 'https://runtrail.example.com' },
    );
    admin = await api.account('acme');
  });
  afterAll(() => api?.close());

  const post = <T = Record<string, unknown>>(path: string, body: unknown) =>
    api.call<T & Problem>('POST', path, { key: admin, body });
  const stack = async (slug: string, labels: string[] = []) =>
    (await post<{ id: string }>('/v1/callers', { type: 'stack', slug, labels })).body.id;
  const integration = async (name: string, extra: Record<string, unknown> = {}) =>
    (await post<{ id: string }>('/v1/integrations', { name, roleArn: DEMO_ROLE, ...extra })).body.id;
  const attachmentsOf = async (integrationId: string) =>
    (
      await api.call<{ items: Attachment[] }>('GET', `/v1/attachments?integrationId=${integrationId}`, {
        key: admin,
      })
    ).body.items;

  it('registers callers with validated slugs, unique per account across stacks and modules', async () => {
    expect((await post('/v1/callers', { type: 'stack', slug: 'Bad Slug' })).body.issues?.[0]?.path).toBe(
      'slug',
    );
    expect((await post('/v1/callers', { type: 'robot', slug: 'x' })).body.issues?.[0]?.path).toBe('type');
    await stack('shared-name');
    const clash = await post('/v1/callers', { type: 'module', slug: 'shared-name' });
    expect([clash.status, clash.body.code]).toEqual([409, 'CONFLICT']);
  });

  it('attaches for read, serves the external ids and a paste-ready trust statement', async () => {
    const caller = await stack('network');
    const id = await integration('attach-me');
    const attached = await post<Attachment>(`/v1/integrations/${id}/attachments`, {
      callerId: caller,
      read: true,
      write: false,
    });
    expect(attached.status).toBe(201);
    const ids = await api.call<{
      externalIds: { read: string; write: string };
      assume_role_policy_statement: Record<string, unknown>;
    }>('GET', `/v1/attachments/${attached.body.id}/external-id`, { key: admin });
    expect(ids.body.externalIds).toEqual({
      read: `acme@${id}@network@read`,
      write: `acme@${id}@network@write`,
    });
    expect(ids.body.assume_role_policy_statement).toEqual({
      Sid: `Runtrail${id}`,
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::111111111111:root' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'sts:ExternalId': `acme@${id}@network@read` } },
    });
    const twice = await post(`/v1/integrations/${id}/attachments`, { callerId: caller });
    expect(twice.status).toBe(409);
    const neither = await post(`/v1/integrations/${id}/attachments`, {
      callerId: caller,
      read: false,
      write: false,
    });
    expect(neither.body.issues?.[0]?.path).toBe('read');
  });

  const createRole = async (name: string, statements: unknown[]) => {
    const iam = new IAMClient({
      endpoint: api.emulator.endpoint,
      region: 'us-east-1',
      credentials: CUSTOMER_ADMIN,
    });
    try {
      const role = await iam.send(
        new CreateRoleCommand({
          RoleName: name,
          AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
        }),
      );
      return role.Role!.Arn!;
    } finally {
      iam.destroy();
    }
  };
  type ExternalIds = {
    read: string;
    write: string;
    assumeRolePolicyStatement: string;
    statement: Record<string, unknown>;
  };

  it("follows the provider's order: integration first, external ids of a stack not yet attached, then the role, then attach", async () => {
    await stack('provider-order');
    const roleArn = 'arn:aws:iam::222222222222:role/provider-order';
    const id = await integration('provider-order', { roleArn });
    const ids = await api.call<ExternalIds>(
      'GET',
      `/v1/integrations/${id}/external-ids?stack=provider-order`,
      {
        key: admin,
      },
    );
    expect(ids.status).toBe(200);
    expect(ids.body).toMatchObject({
      read: `acme@${id}@provider-order@read`,
      write: `acme@${id}@provider-order@write`,
    });
    const statement = JSON.parse(ids.body.assumeRolePolicyStatement) as Record<string, unknown>;
    expect(statement).toEqual(ids.body.statement);
    expect(statement).toMatchObject({
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'sts:ExternalId': [ids.body.read, ids.body.write] } },
    });
    expect(await createRole('provider-order', [statement])).toBe(roleArn);
    const caller = (
      await api.call<{ items: Array<{ id: string; slug: string }> }>('GET', '/v1/callers?limit=100', {
        key: admin,
      })
    ).body.items.find((c) => c.slug === 'provider-order')!.id;
    const attached = await post<
      Attachment & { verification: { checks: Array<{ check: string; status: string }> } }
    >(`/v1/integrations/${id}/attachments`, { callerId: caller });
    expect(attached.status).toBe(201);
    expect(attached.body).toMatchObject({ read: true, write: true });
    expect(attached.body.verification.checks.map((c) => [c.check, c.status])).toEqual([
      ['assume-with-external-id:read', 'pass'],
      ['assume-with-external-id:write', 'pass'],
      ['confused-deputy', 'pass'],
      ['foreign-external-id', 'pass'],
    ]);
  });

  it('answers external ids by caller id, stack or module, and names the bad query field', async () => {
    const caller = await stack('ids-by-id');
    const id = await integration('ids');
    const byId = await api.call<ExternalIds>(
      'GET',
      `/v1/integrations/${id}/external-ids?callerId=${caller}&write=false`,
      {
        key: admin,
      },
    );
    expect(JSON.parse(byId.body.assumeRolePolicyStatement)).toMatchObject({
      Condition: { StringEquals: { 'sts:ExternalId': `acme@${id}@ids-by-id@read` } },
    });
    const get = (query: string) =>
      api.call<Problem>('GET', `/v1/integrations/${id}/external-ids?${query}`, { key: admin });
    expect((await get('module=ids-by-id')).status).toBe(404);
    expect((await get('stack=nobody')).status).toBe(404);
    expect((await get('')).body.issues?.[0]?.path).toBe('callerId');
    expect((await get(`callerId=${caller}&stack=ids-by-id`)).body.issues?.[0]?.path).toBe('callerId');
    expect((await get('callerId=not-a-ulid')).body.issues?.[0]?.path).toBe('callerId');
    expect((await get(`callerId=${caller}&read=false&write=false`)).body.issues?.[0]?.path).toBe('read');
    expect(
      (
        await api.call('GET', `/v1/integrations/01ARZ3NDEKTSV4RRFFQ69G5FAV/external-ids?callerId=${caller}`, {
          key: admin,
        })
      ).status,
    ).toBe(404);
  });

  it("answers an OIDC-mode integration's statement: runtrail's issuer, the account's audience, the caller's sub", async () => {
    await stack('oidc-is-awesome');
    const id = await integration('oidc-ids', { mode: 'oidc' });
    const get = () =>
      api.call<ExternalIds>('GET', `/v1/integrations/${id}/external-ids?stack=oidc-is-awesome&write=false`, {
        key: admin,
      });
    expect((await get()).body.statement).toEqual({
      Sid: `RuntrailOidc${id}`,
      Effect: 'Allow',
      Principal: { Federated: 'arn:aws:iam::222222222222:oidc-provider/runtrail.example.com/oidc/acme' },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: { 'runtrail.example.com/oidc/acme:aud': 'runtrail.example.com' },
        StringLike: {
          'runtrail.example.com/oidc/acme:sub': 'space:root:stack:oidc-is-awesome:run_type:*:scope:read',
        },
      },
    });
    await api.call('PATCH', '/v1/account', { key: admin, body: { oidcAudience: 'acme-aws' } });
    try {
      expect(JSON.parse((await get()).body.assumeRolePolicyStatement)).toMatchObject({
        Condition: { StringEquals: { 'runtrail.example.com/oidc/acme:aud': 'acme-aws' } },
      });
    } finally {
      await api.call('PATCH', '/v1/account', { key: admin, body: { oidcAudience: null } });
    }
  });

  it("refuses a stack the specific-stack policy does not name (the seed's stack-a / stack-b), storing nothing", async () => {
    const a = await stack('stack-a');
    const b = await stack('stack-b');
    const id = await integration('specific', { roleArn: 'arn:aws:iam::222222222222:role/specific-stack' });
    await createRole('specific-stack', [
      {
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::111111111111:root' },
        Action: 'sts:AssumeRole',
        Condition: { StringLike: { 'sts:ExternalId': 'acme@*@stack-a@*' } },
      },
    ]);
    expect((await post(`/v1/integrations/${id}/attachments`, { callerId: a })).status).toBe(201);
    const refused = await post<{
      verdict: {
        checks: Array<{ check: string; status: string }>;
        suggestedStatement: Record<string, unknown>;
      };
    }>(`/v1/integrations/${id}/attachments`, { callerId: b });
    expect([refused.status, refused.body.code]).toEqual([422, 'UNSAFE_TRUST_POLICY']);
    expect(refused.body.verdict.checks.filter((c) => c.status === 'fail').map((c) => c.check)).toEqual([
      'assume-with-external-id:read',
      'assume-with-external-id:write',
    ]);
    expect(refused.body.verdict.suggestedStatement).toMatchObject({
      Condition: {
        StringEquals: { 'sts:ExternalId': [`acme@${id}@stack-b@read`, `acme@${id}@stack-b@write`] },
      },
    });
    expect((await attachmentsOf(id)).map((x) => x.caller.slug)).toEqual(['stack-a']);
    // Autoattach verifies too: stack-b is refused and reported, nothing attached for it.
    const labelled = await api.call<{ autoattachRefused: Array<{ callerSlug: string }> }>(
      'PATCH',
      `/v1/callers/${b}`,
      { key: admin, body: { labels: ['specific'] } },
    );
    const auto = await api.call<{ autoattachRefused: Array<{ callerSlug: string }> }>(
      'PATCH',
      `/v1/integrations/${id}`,
      {
        key: admin,
        body: { labels: ['autoattach:specific'] },
      },
    );
    expect(labelled.status).toBe(200);
    expect(auto.body.autoattachRefused.map((r) => r.callerSlug)).toEqual(['stack-b']);
    expect((await attachmentsOf(id)).map((x) => x.caller.slug)).toEqual(['stack-a']);
  });

  it("refuses an update that would make an attached integration unsafe, and carries the account's OIDC audience", async () => {
    const caller = await stack('guarded');
    const id = await integration('guarded');
    expect((await post(`/v1/integrations/${id}/attachments`, { callerId: caller })).status).toBe(201);
    const open = await createRole('trusts-any-id', [
      {
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::111111111111:root' },
        Action: 'sts:AssumeRole',
        Condition: { StringLike: { 'sts:ExternalId': '*' } },
      },
    ]);
    const moved = await api.call<Problem & { verdict: { checks: Array<{ check: string; status: string }> } }>(
      'PATCH',
      `/v1/integrations/${id}`,
      { key: admin, body: { roleArn: open } },
    );
    expect([moved.status, moved.body.code]).toEqual([422, 'UNSAFE_TRUST_POLICY']);
    expect(moved.body.verdict.checks.find((c) => c.check === 'foreign-external-id')?.status).toBe('fail');
    expect(
      (await api.call<{ roleArn: string }>('GET', `/v1/integrations/${id}`, { key: admin })).body.roleArn,
    ).toBe(DEMO_ROLE);
    const renamed = await api.call<{ name: string }>('PATCH', `/v1/integrations/${id}`, {
      key: admin,
      body: { name: 'guarded-2' },
    });
    expect(renamed.body.name).toBe('guarded-2');

    const audience = await api.call<{ settings: { oidcAudience: string | null } }>('PATCH', '/v1/account', {
      key: admin,
      body: { oidcAudience: 'acme.runtrail.example' },
    });
    expect(audience.body.settings).toEqual({ oidcAudience: 'acme.runtrail.example' });
    const resolved = await api.bus.request(ResolveIntegrationsRequest, {
      account: 'acme',
      callerType: 'stack',
      callerId: caller,
      scope: 'read',
    });
    expect(resolved.oidcAudience).toBe('acme.runtrail.example');
    const bad = await api.call<Problem>('PATCH', '/v1/account', {
      key: admin,
      body: { oidcAudience: 'has space' },
    });
    expect(bad.body.issues?.[0]?.path).toBe('oidcAudience');
    await api.call('PATCH', '/v1/account', { key: admin, body: { oidcAudience: null } });
  });

  it('refuses to delete an attached integration unless forced, then detaches everything', async () => {
    const caller = await stack('app');
    const id = await integration('in-use');
    await post(`/v1/integrations/${id}/attachments`, { callerId: caller, write: true });
    const refused = await api.call<Problem>('DELETE', `/v1/integrations/${id}`, { key: admin });
    expect([refused.status, refused.body.code]).toEqual([409, 'CONFLICT']);
    expect(await attachmentsOf(id)).toHaveLength(1);
    expect((await api.call('DELETE', `/v1/integrations/${id}?force=true`, { key: admin })).status).toBe(204);
    expect(await attachmentsOf(id)).toEqual([]);
    const events = await api.eventually(
      () => api.events(),
      (e) =>
        e.some(
          (x) =>
            x.subject === 'integrations.v1.deleted' && (x.data['integration'] as { id: string }).id === id,
        ),
    );
    const mine = events.filter((e) => JSON.stringify(e.data).includes(id)).map((e) => e.subject);
    expect(mine).toEqual([
      'integrations.v1.created',
      'integrations.v1.attached',
      'integrations.v1.detached',
      'integrations.v1.deleted',
    ]);
  });

  it('autoattaches by label to existing callers and to callers registered later, and detaches when the label goes', async () => {
    const before = await stack('team-a-old', ['team-a']);
    const unrelated = await stack('team-b', ['team-b']);
    const id = await integration('auto', { labels: ['autoattach:team-a'] });
    const later = await stack('team-a-new', ['team-a']);
    const callers = (await attachmentsOf(id)).map((a) => [a.caller.id, a.autoattachLabel, a.read, a.write]);
    expect(callers).toEqual([
      [before, 'team-a', true, true],
      [later, 'team-a', true, true],
    ]);
    expect(callers.map((c) => c[0])).not.toContain(unrelated);
    await api.call('PATCH', `/v1/callers/${later}`, { key: admin, body: { labels: [] } });
    expect((await attachmentsOf(id)).map((a) => a.caller.id)).toEqual([before]);
  });

  it('lists callers with label filter and paging, reads, moves and removes them (removal detaches)', async () => {
    await api.call('POST', '/v1/spaces', { key: admin, body: { id: 'dev', name: 'Development' } });
    const spaces = await api.call<{ items: Array<{ id: string; parent: string | null }> }>(
      'GET',
      '/v1/spaces',
      { key: admin },
    );
    expect(spaces.body.items).toEqual(
      expect.arrayContaining([
        { id: 'root', name: 'root', parent: null },
        { id: 'dev', name: 'Development', parent: 'root' },
      ]),
    );
    const ids = [
      await stack('lc-1', ['lc', 'x']),
      await stack('lc-2', ['lc']),
      await stack('lc-3', ['lc', 'x']),
    ];
    const page1 = await api.call<{ items: Array<{ id: string }>; nextCursor: string }>(
      'GET',
      '/v1/callers?label=lc&limit=2',
      { key: admin },
    );
    const page2 = await api.call<{ items: Array<{ id: string }>; nextCursor: string | null }>(
      'GET',
      `/v1/callers?label=lc&limit=2&cursor=${page1.body.nextCursor}`,
      { key: admin },
    );
    expect([...page1.body.items, ...page2.body.items].map((c) => c.id)).toEqual(ids);
    const x = await api.call<{ items: Array<{ id: string }> }>('GET', '/v1/callers?label=lc&label=x', {
      key: admin,
    });
    expect(x.body.items.map((c) => c.id)).toEqual([ids[0], ids[2]]);
    const moved = await api.call('PATCH', `/v1/callers/${ids[1]}`, { key: admin, body: { spaceId: 'dev' } });
    expect(moved.body).toMatchObject({ spaceId: 'dev', labels: ['lc'] });
    expect(
      (await api.call<Problem>('PATCH', `/v1/callers/${ids[1]}`, { key: admin, body: { spaceId: 'nope' } }))
        .body.issues?.[0]?.path,
    ).toBe('spaceId');
    const id = await integration('for-removal');
    await post(`/v1/integrations/${id}/attachments`, { callerId: ids[0], read: true });
    expect((await api.call('DELETE', `/v1/callers/${ids[0]}`, { key: admin })).status).toBe(204);
    expect((await api.call('GET', `/v1/callers/${ids[0]}`, { key: admin })).status).toBe(404);
    expect(await attachmentsOf(id)).toEqual([]);
  });

  it('reads an attachment, changes its scopes (verified again) and detaches it', async () => {
    const caller = await stack('scopes');
    const id = await integration('scoped');
    const made = (
      await post<Attachment>(`/v1/integrations/${id}/attachments`, {
        callerId: caller,
        read: true,
        write: false,
      })
    ).body;
    expect(
      (await api.call<Attachment>('GET', `/v1/attachments/${made.id}`, { key: admin })).body,
    ).toMatchObject({ read: true, write: false });
    const changed = await api.call<Attachment & { version: number }>('PATCH', `/v1/attachments/${made.id}`, {
      key: admin,
      body: { write: true },
    });
    expect(changed.body).toMatchObject({ read: true, write: true, version: 2 });
    const none = await api.call<Problem>('PATCH', `/v1/attachments/${made.id}`, {
      key: admin,
      body: { read: false, write: false },
    });
    expect(none.body.issues?.[0]?.path).toBe('read');
    const reader = (await post<{ key: string }>('/v1/api-keys', { name: 'ro', role: 'reader' })).body.key;
    expect((await api.call('GET', `/v1/attachments/${made.id}/external-id`, { key: reader })).status).toBe(
      200,
    );
    expect((await api.call('DELETE', `/v1/attachments/${made.id}`, { key: reader })).status).toBe(403);
    expect((await api.call('DELETE', `/v1/attachments/${made.id}`, { key: admin })).status).toBe(204);
    expect((await api.call('GET', `/v1/attachments/${made.id}`, { key: admin })).status).toBe(404);
    const events = await api.eventually(
      () => api.events(),
      (e) =>
        e.some((x) => x.subject === 'integrations.v1.detached' && JSON.stringify(x.data).includes(made.id)),
    );
    expect(events.filter((e) => JSON.stringify(e.data).includes(made.id)).map((e) => e.subject)).toEqual([
      'integrations.v1.attached',
      'integrations.v1.attachment_updated',
      'integrations.v1.detached',
    ]);
  });

  it('answers integrations.v1.resolve with the attached integrations and external ids per scope', async () => {
    const caller = await stack('resolver');
    const id = await integration('resolved');
    await post(`/v1/integrations/${id}/attachments`, { callerId: caller, read: true, write: false });
    const read = await api.bus.request(ResolveIntegrationsRequest, {
      account: 'acme',
      callerType: 'stack',
      callerId: caller,
      scope: 'read',
    });
    expect(read.integrations.map((i) => [i.integration.id, i.externalId])).toEqual([
      [id, `acme@${id}@resolver@read`],
    ]);
    const write = await api.bus.request(ResolveIntegrationsRequest, {
      account: 'acme',
      callerType: 'stack',
      callerId: caller,
      scope: 'write',
    });
    expect(write.integrations).toEqual([]);
    await expect(
      api.bus.request(ResolveIntegrationsRequest, {
        account: 'globex',
        callerType: 'stack',
        callerId: caller,
        scope: 'read',
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('answers integrations.v1.authenticate from the secret hash only', async () => {
    const [, keyId, secret] = admin.split('.');
    const ok = await api.bus.request(AuthenticateApiKeyRequest, {
      keyId: keyId!,
      secretSha256: createHash('sha256').update(secret!).digest('hex'),
    });
    expect(ok).toEqual({ account: 'acme', role: 'admin', spaceSubtree: null, visibleSpaces: null });
    const wrong = api.bus.request(AuthenticateApiKeyRequest, { keyId: keyId!, secretSha256: 'a'.repeat(64) });
    await expect(wrong).rejects.toBeInstanceOf(RuntrailError);
    await expect(wrong).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('marks an integration unhealthy when its trust policy drifts, on demand and periodically, and publishes the change', async () => {
    const iam = new IAMClient({
      endpoint: api.emulator.endpoint,
      region: 'us-east-1',
      credentials: CUSTOMER_ADMIN,
    });
    const id = await integration('drifting');
    const open = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::111111111111:root' },
          Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
        },
      ],
    };
    await iam.send(
      new UpdateAssumeRolePolicyCommand({ RoleName: 'runtrail-demo', PolicyDocument: JSON.stringify(open) }),
    );
    try {
      const verdict = await api.call<{
        integration: { healthy: boolean; healthReasons: string[] };
        verdict: { safe: boolean };
      }>('POST', `/v1/integrations/${id}/verify`, { key: admin });
      expect(verdict.body.verdict.safe).toBe(false);
      expect(verdict.body.integration.healthy).toBe(false);
      expect(verdict.body.integration.healthReasons.join(' ')).toContain('confused deputy');
      const events = await api.eventually(
        () => api.events(),
        (e) => e.some((x) => x.subject === 'integrations.v1.health' && x.data['integrationId'] === id),
      );
      expect(
        events.find((x) => x.subject === 'integrations.v1.health' && x.data['integrationId'] === id)?.data[
          'healthy'
        ],
      ).toBe(false);
    } finally {
      await iam.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: 'runtrail-demo',
          PolicyDocument: JSON.stringify(demoPolicy()),
        }),
      );
      iam.destroy();
    }
    expect(await api.app.get(ReverifyScheduler).runOnce()).toBeGreaterThanOrEqual(1);
    expect(
      (await api.call<{ healthy: boolean }>('GET', `/v1/integrations/${id}`, { key: admin })).body.healthy,
    ).toBe(true);
  });
});

function demoPolicy() {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'RuntrailPlatform',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::111111111111:root' },
        Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
        Condition: { StringLike: { 'sts:ExternalId': 'acme@*' } },
      },
    ],
  };
}
