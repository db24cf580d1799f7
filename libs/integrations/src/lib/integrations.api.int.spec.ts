import { describeEachDatabase, freePort, startNatsServer, startTestEmulator } from '@runtrail/testing';
import { BOOTSTRAP_TOKEN, DEMO_ROLE, IntegrationsApp } from '../spec/integrations-app.harness';

type Problem = {
  code: string;
  detail: string;
  issues?: Array<{ path: string; rule: string }>;
  verdict?: { safe: boolean; explanation: string; suggestedStatement: object };
};
type Page = { items: Array<{ id: string; name: string; labels: string[] }>; nextCursor: string | null };

describeEachDatabase('integrations REST API: auth, validation, CRUD, paging', (db) => {
  let api: IntegrationsApp;
  let admin: string;
  let other: string;
  let reader: string;

  beforeAll(async () => {
    api = await IntegrationsApp.start(db.databaseUrl, {
      nats: await startNatsServer(),
      emulator: await startTestEmulator(),
      ports: [await freePort(), await freePort()],
    });
    admin = await api.account('acme');
    other = await api.account('globex');
    reader = (
      await api.call<{ key: string }>('POST', '/v1/api-keys', {
        key: admin,
        body: { name: 'ci', role: 'reader' },
      })
    ).body.key;
  });
  afterAll(() => api?.close());

  const create = (body: Record<string, unknown>, key = admin) =>
    api.call<Problem & { id: string }>('POST', '/v1/integrations', { key, body });

  describe('bootstrap', () => {
    it('refuses account creation without or with a wrong bootstrap token, and a second account of one slug', async () => {
      expect((await api.call<Problem>('POST', '/v1/accounts', { body: { slug: 'x1' } })).body.code).toBe(
        'UNAUTHENTICATED',
      );
      expect(
        (await api.call('POST', '/v1/accounts', { key: `${BOOTSTRAP_TOKEN}x`, body: { slug: 'x1' } })).status,
      ).toBe(401);
      expect((await api.call('POST', '/v1/accounts', { key: admin, body: { slug: 'x1' } })).status).toBe(401);
      const again = await api.call<Problem>('POST', '/v1/accounts', {
        key: BOOTSTRAP_TOKEN,
        body: { slug: 'acme' },
      });
      expect([again.status, again.body.code]).toEqual([409, 'CONFLICT']);
    });

    it('shows the admin key once, in the rtk.<id>.<secret> shape, and it works', async () => {
      const reply = await api.call<{ apiKey: { key: string; role: string } }>('POST', '/v1/accounts', {
        key: BOOTSTRAP_TOKEN,
        body: { slug: 'initech' },
      });
      expect(reply.status).toBe(201);
      expect(reply.body.apiKey.key).toMatch(/^rtk\.[0-9A-Z]{26}\.[\w-]{43}$/);
      const me = await api.call<{ account: string; role: string }>('GET', '/v1/account', {
        key: reply.body.apiKey.key,
      });
      expect(me.body).toMatchObject({ account: 'initech', role: 'admin' });
      const keys = await api.call<{ items: object[] }>('GET', '/v1/api-keys', { key: reply.body.apiKey.key });
      expect(JSON.stringify(keys.body)).not.toContain(reply.body.apiKey.key.split('.')[2]);
    });
  });

  describe('authorisation', () => {
    it('answers 401 problem+json without a key, with a malformed key and with a revoked key', async () => {
      const none = await api.call<Problem>('GET', '/v1/integrations');
      expect([none.status, none.type, none.body.code]).toEqual([
        401,
        'application/problem+json',
        'UNAUTHENTICATED',
      ]);
      expect((await api.call('GET', '/v1/integrations', { key: 'rtk.nope' })).status).toBe(401);
      const [, id, secret] = admin.split('.');
      expect(
        (await api.call('GET', '/v1/integrations', { key: `rtk.${id}.${'A'.repeat(secret!.length)}` }))
          .status,
      ).toBe(401);
      const temp = (
        await api.call<{ id: string; key: string }>('POST', '/v1/api-keys', {
          key: admin,
          body: { name: 'temp', role: 'admin' },
        })
      ).body;
      expect((await api.call('GET', '/v1/integrations', { key: temp.key })).status).toBe(200);
      expect((await api.call('DELETE', `/v1/api-keys/${temp.id}`, { key: admin })).status).toBe(204);
      expect((await api.call('GET', '/v1/integrations', { key: temp.key })).status).toBe(401);
    });

    it('lets a reader read but not write', async () => {
      expect((await api.call('GET', '/v1/integrations', { key: reader })).status).toBe(200);
      const refused = await create({ name: 'by-reader', roleArn: DEMO_ROLE }, reader);
      expect([refused.status, refused.body.code]).toEqual([403, 'FORBIDDEN']);
      expect(
        (await api.call('POST', '/v1/callers', { key: reader, body: { type: 'stack', slug: 'r' } })).status,
      ).toBe(403);
      expect(
        (await api.call('POST', '/v1/api-keys', { key: reader, body: { name: 'x', role: 'admin' } })).status,
      ).toBe(403);
    });

    it("never shows one account's data to another", async () => {
      const mine = await create({ name: 'private', roleArn: DEMO_ROLE });
      expect(mine.status).toBe(201);
      expect((await api.call('GET', `/v1/integrations/${mine.body.id}`, { key: other })).status).toBe(404);
      expect((await api.call<Page>('GET', '/v1/integrations', { key: other })).body.items).toEqual([]);
      expect((await api.call('DELETE', `/v1/integrations/${mine.body.id}`, { key: other })).status).toBe(404);
      expect(
        (await api.call('PATCH', `/v1/integrations/${mine.body.id}`, { key: other, body: { name: 'x' } }))
          .status,
      ).toBe(404);
    });

    it('limits a key to its space subtree', async () => {
      expect(
        (await api.call('POST', '/v1/spaces', { key: admin, body: { id: 'prod', name: 'Production' } }))
          .status,
      ).toBe(201);
      const scoped = (
        await api.call<{ key: string }>('POST', '/v1/api-keys', {
          key: admin,
          body: { name: 'prod-admin', role: 'admin', spaceSubtree: 'prod' },
        })
      ).body.key;
      const inRoot = await create({ name: 'root-only', roleArn: DEMO_ROLE });
      expect((await api.call('GET', `/v1/integrations/${inRoot.body.id}`, { key: scoped })).status).toBe(404);
      const outside = await create({ name: 'sneaky', roleArn: DEMO_ROLE, spaceId: 'root' }, scoped);
      expect([outside.status, outside.body.issues?.[0]?.path]).toEqual([400, 'spaceId']);
      const inside = await create({ name: 'prod-role', roleArn: DEMO_ROLE, spaceId: 'prod' }, scoped);
      expect(inside.status).toBe(201);
      const wider = await api.call<Problem>('POST', '/v1/api-keys', {
        key: scoped,
        body: { name: 'w', role: 'admin' },
      });
      expect(wider.body.issues?.[0]?.path).toBe('spaceSubtree');
    });
  });

  describe('validation names the field and the rule, and never writes', () => {
    it.each([
      [{ roleArn: 'arn:aws:iam::12345:role/x' }, 'roleArn', /IAM role ARN/],
      [{ roleArn: 'arn:aws-iso:iam::222222222222:role/x' }, 'roleArn', /aws\|aws-cn\|aws-us-gov/],
      [{ durationSeconds: 899 }, 'durationSeconds', /at least 900/],
      [{ durationSeconds: 43201 }, 'durationSeconds', /at most 43200/],
      [{ durationSeconds: 'long' }, 'durationSeconds', /whole number/],
      [{ region: 'mars-1' }, 'region', /AWS region/],
      [{ roleArn: 'arn:aws-cn:iam::222222222222:role/x', region: 'eu-west-1' }, 'region', /partition/],
      [{ labels: ['has space'] }, 'labels.0', /no spaces/],
      [{ mode: 'magic' }, 'mode', /./],
      [{ customExternalId: 'mine-123' }, 'customExternalId', /only in worker mode/],
      [{ mode: 'worker', customExternalId: 'x' }, 'customExternalId', /2-1224/],
      [{ name: '' }, 'name', /must not be empty/],
      [{ sessionTagging: 'yes' }, 'sessionTagging', /./],
      [{ spaceId: 'nowhere' }, 'spaceId', /existing space/],
      [{ surprise: true }, 'surprise', /is not a field here/],
    ])('%j -> %s', async (change, path, rule) => {
      const name = `invalid-${path}`;
      const reply = await create({ name, roleArn: DEMO_ROLE, ...change });
      expect([reply.status, reply.type, reply.body.code]).toEqual([
        400,
        'application/problem+json',
        'VALIDATION_FAILED',
      ]);
      const issue = reply.body.issues?.find((i) => i.path === path);
      expect(issue?.rule).toMatch(rule);
      const all = await api.call<Page>('GET', '/v1/integrations?limit=100', { key: admin });
      expect(all.body.items.map((i) => i.name)).not.toContain(name);
    });

    it('defaults duration to 3600, mode to platform, space to root; accepts worker mode with a custom external id', async () => {
      const made = await create({ name: 'defaults', roleArn: DEMO_ROLE });
      expect(made.body).toMatchObject({
        durationSeconds: 3600,
        mode: 'platform',
        spaceId: 'root',
        sessionTagging: false,
        region: null,
        healthy: true,
        version: 1,
      });
      const worker = await create({
        name: 'worker',
        roleArn: DEMO_ROLE,
        mode: 'worker',
        customExternalId: 'acme-private-pool',
      });
      expect(worker.status).toBe(201);
    });

    it('stores an integration whose role does not exist yet (the provider creates the role after it), verifying at attach', async () => {
      const reply = await create({
        name: 'role-comes-later',
        roleArn: 'arn:aws:iam::222222222222:role/does-not-exist',
      });
      expect(reply.status).toBe(201);
      const caller = await api.call<{ id: string }>('POST', '/v1/callers', {
        key: admin,
        body: { type: 'stack', slug: 'waits-for-role' },
      });
      const attach = await api.call<
        Problem & { verdict?: { safe: boolean; explanation: string; suggestedStatement: object } }
      >('POST', `/v1/integrations/${(reply.body as { id: string }).id}/attachments`, {
        key: admin,
        body: { callerId: caller.body.id },
      });
      expect([attach.status, attach.body.code]).toEqual([422, 'UNSAFE_TRUST_POLICY']);
      expect(attach.body.verdict?.safe).toBe(false);
      expect(attach.body.verdict?.explanation).toContain('could not assume');
      expect(attach.body.verdict?.suggestedStatement).toMatchObject({
        Principal: { AWS: 'arn:aws:iam::111111111111:root' },
      });
      const attachments = await api.call<Page>('GET', `/v1/attachments?callerId=${caller.body.id}`, {
        key: admin,
      });
      expect(attachments.body.items).toEqual([]);
    });

    it('refuses the slugs runtrail reserves for its own checks', async () => {
      const reply = await api.call<Problem>('POST', '/v1/accounts', {
        key: BOOTSTRAP_TOKEN,
        body: { slug: 'runtrail-foreign-tenant' },
      });
      expect([reply.status, reply.body.issues?.[0]?.path]).toEqual([400, 'slug']);
    });
  });

  describe('CRUD, paging and label filters', () => {
    it('pages with a cursor and filters by every given label', async () => {
      for (let i = 0; i < 5; i++) {
        expect(
          (
            await create({
              name: `paged-${i}`,
              roleArn: DEMO_ROLE,
              labels: ['paged', i % 2 === 0 ? 'even' : 'odd'],
            })
          ).status,
        ).toBe(201);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query = `/v1/integrations?label=paged&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const page: Page = (await api.call<Page>('GET', query, { key: admin })).body;
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((i) => i.name));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(['paged-0', 'paged-1', 'paged-2', 'paged-3', 'paged-4']);
      const even = await api.call<Page>('GET', '/v1/integrations?label=paged&label=even', { key: admin });
      expect(even.body.items.map((i) => i.name)).toEqual(['paged-0', 'paged-2', 'paged-4']);
      expect(
        (await api.call<Problem>('GET', '/v1/integrations?limit=0', { key: admin })).body.issues?.[0]?.path,
      ).toBe('limit');
      expect(
        (await api.call<Problem>('GET', '/v1/integrations?cursor=zzz', { key: admin })).body.issues?.[0]
          ?.path,
      ).toBe('cursor');
    });

    it('reads, updates (verified again, version bumped) and deletes', async () => {
      const made = await create({ name: 'crud', roleArn: DEMO_ROLE, labels: ['a'] });
      const got = await api.call('GET', `/v1/integrations/${made.body.id}`, { key: admin });
      expect(got.body).toMatchObject({ name: 'crud', labels: ['a'] });
      const updated = await api.call('PATCH', `/v1/integrations/${made.body.id}`, {
        key: admin,
        body: { durationSeconds: 1800, labels: ['b'] },
      });
      expect(updated.body).toMatchObject({ durationSeconds: 1800, labels: ['b'], version: 2 });
      const bad = await api.call<Problem>('PATCH', `/v1/integrations/${made.body.id}`, {
        key: admin,
        body: { customExternalId: 'abc' },
      });
      expect(bad.body.issues?.[0]?.path).toBe('customExternalId');
      expect((await api.call('DELETE', `/v1/integrations/${made.body.id}`, { key: admin })).status).toBe(204);
      expect((await api.call('GET', `/v1/integrations/${made.body.id}`, { key: admin })).status).toBe(404);
    });
  });
});
