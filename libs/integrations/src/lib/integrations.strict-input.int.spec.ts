// Strict input on integrations' REST API (issue 14): JSON bodies only, text without control
// characters, path ids checked before any query, authentication before validation. Every refusal
// is problem+json naming the field and the rule, and writes nothing.
import { NO_CONTROL_CHARACTERS } from '@runtrail/contracts';
import { describeEachDatabase, freePort, startNatsServer, startTestEmulator } from '@runtrail/testing';
import { BOOTSTRAP_TOKEN, DEMO_ROLE, IntegrationsApp } from '../spec/integrations-app.harness';

type Problem = {
  code: string;
  status: number;
  detail: string;
  issues?: Array<{ path: string; rule: string }>;
};

describeEachDatabase('integrations REST API: strict input', (db) => {
  let api: IntegrationsApp;
  let admin: string;
  let integrationId: string;
  let callerId: string;

  beforeAll(async () => {
    api = await IntegrationsApp.start(db.databaseUrl, {
      nats: await startNatsServer(),
      emulator: await startTestEmulator(),
      ports: [await freePort(), await freePort()],
    });
    admin = await api.account('acme');
    const integration = await api.call<{ id: string }>('POST', '/v1/integrations', {
      key: admin,
      body: { name: 'demo', roleArn: DEMO_ROLE },
    });
    integrationId = integration.body.id;
    callerId = (
      await api.call<{ id: string }>('POST', '/v1/callers', {
        key: admin,
        body: { type: 'stack', slug: 'web' },
      })
    ).body.id;
  });
  afterAll(() => api?.close());

  /** A request exactly as given (content type, raw body), answered as problem+json. */
  async function raw(
    method: string,
    path: string,
    init: { key?: string | null; type?: string; body?: string } = {},
  ) {
    const key = init.key === undefined ? admin : init.key;
    const response = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(init.type ? { 'content-type': init.type } : {}),
      },
      body: init.body,
    });
    const text = await response.text();
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      body: JSON.parse(text || '{}') as Problem,
    };
  }

  async function awsCalls(): Promise<number> {
    const reply = await fetch(`${api.emulator.endpoint}/_emulator/requests`);
    const { requests } = (await reply.json()) as { requests: Array<{ count: number }> };
    return requests.reduce((sum, r) => sum + r.count, 0);
  }

  const state = async () =>
    JSON.stringify(
      await Promise.all(
        [
          '/v1/spaces',
          '/v1/api-keys',
          '/v1/integrations',
          '/v1/callers',
          `/v1/integrations/${integrationId}`,
        ].map(async (path) => (await api.call('GET', path, { key: admin })).body),
      ),
    );

  it.each([
    ['POST', '/v1/spaces', { id: 'dev', name: 'x\u0000y' }, 'name'],
    ['POST', '/v1/api-keys', { name: 'ci\u0000', role: 'reader' }, 'name'],
    ['POST', '/v1/integrations', { name: 'a\u0007b', roleArn: DEMO_ROLE }, 'name'],
    ['POST', '/v1/callers', { type: 'stack', slug: 'api', labels: ['a\u0000'] }, 'labels.0'],
    ['PATCH', '/v1/integrations/{id}', { name: 'line\nbreak' }, 'name'],
  ])(
    '%s %s refuses a control character in a text field with 400 naming %s, before any AWS call',
    async (method, path, body, field) => {
      const [before, calls] = [await state(), await awsCalls()];
      const reply = await raw(method, path.replace('{id}', integrationId), {
        type: 'application/json',
        body: JSON.stringify(body),
      });
      expect(reply.status).toBe(400);
      expect(reply.type).toMatch(/^application\/problem\+json/);
      expect(reply.body.issues).toContainEqual({ path: field, rule: NO_CONTROL_CHARACTERS });
      expect(await state()).toBe(before);
      expect(await awsCalls()).toBe(calls);
    },
  );

  it('refuses a NUL in adminKeyName, but only after the bootstrap token', async () => {
    const body = JSON.stringify({ slug: 'nul-co', adminKeyName: 'a\u0000' });
    expect((await raw('POST', '/v1/accounts', { key: null, type: 'application/json', body })).status).toBe(
      401,
    );
    const reply = await raw('POST', '/v1/accounts', { key: BOOTSTRAP_TOKEN, type: 'application/json', body });
    expect([reply.status, reply.body.issues]).toEqual([
      400,
      [{ path: 'adminKeyName', rule: NO_CONTROL_CHARACTERS }],
    ]);
  });

  it('checks the bootstrap token before the body: 401 for a malformed or form-encoded body without it', async () => {
    for (const [type, body] of [
      ['application/json', '{"slug":'],
      ['application/x-www-form-urlencoded', 'slug=formco'],
      ['application/json', '{"slug":"Not A Slug"}'],
    ]) {
      const reply = await raw('POST', '/v1/accounts', { key: null, type, body });
      expect([reply.status, reply.body.code]).toEqual([401, 'UNAUTHENTICATED']);
    }
    const form = await raw('POST', '/v1/accounts', {
      key: BOOTSTRAP_TOKEN,
      type: 'application/x-www-form-urlencoded',
      body: 'slug=formco',
    });
    expect([form.status, form.body.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect(
      (await api.call('POST', '/v1/accounts', { key: BOOTSTRAP_TOKEN, body: { slug: 'formco' } })).status,
    ).toBe(201);
  });

  it.each([
    ['form-encoded', 'application/x-www-form-urlencoded', 'name=x&roleArn=' + encodeURIComponent(DEMO_ROLE)],
    ['text/plain', 'text/plain', JSON.stringify({ name: 'x', roleArn: DEMO_ROLE })],
    ['XML', 'application/xml', '<integration><name>x</name></integration>'],
    ['no content type', undefined, JSON.stringify({ name: 'x', roleArn: DEMO_ROLE })],
  ])('answers a %s body with 415 on POST and PATCH and changes nothing', async (_what, type, body) => {
    const before = await state();
    for (const [method, path] of [
      ['POST', '/v1/integrations'],
      ['PATCH', `/v1/integrations/${integrationId}`],
      ['POST', '/v1/callers'],
      ['PATCH', '/v1/account'],
    ]) {
      const reply = await raw(method, path, { type, body });
      expect([method, path, reply.status, reply.body.code]).toEqual([
        method,
        path,
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      ]);
      expect(reply.body.issues).toEqual([{ path: 'Content-Type', rule: 'must be application/json' }]);
    }
    expect(await state()).toBe(before);
  });

  it('answers a PATCH or POST without a body with 400 (body) is required, never an empty update', async () => {
    const before = await state();
    for (const [method, path] of [
      ['PATCH', `/v1/integrations/${integrationId}`],
      ['PATCH', `/v1/callers/${callerId}`],
      ['POST', '/v1/spaces'],
      ['POST', `/v1/integrations/${integrationId}/attachments`],
    ]) {
      const reply = await raw(method, path);
      expect([method, path, reply.status, reply.body.issues]).toEqual([
        method,
        path,
        400,
        [{ path: '(body)', rule: 'is required' }],
      ]);
    }
    expect(await state()).toBe(before);
  });

  it('checks every path id before the database: 400 naming the parameter, never a 500', async () => {
    const ids = [`${callerId}%00`, '%00', 'x'.repeat(300), "1'%20OR%20'1'='1", '%F0%9F%92%A9'];
    const routes = [
      ['GET', '/v1/callers/{id}', 'id'],
      ['PATCH', '/v1/callers/{id}', 'id'],
      ['DELETE', '/v1/callers/{id}', 'id'],
      ['GET', '/v1/integrations/{id}', 'id'],
      ['DELETE', '/v1/integrations/{id}', 'id'],
      ['POST', '/v1/integrations/{id}/verify', 'id'],
      ['POST', '/v1/integrations/{id}/attachments', 'id'],
      ['GET', '/v1/integrations/{id}/external-ids', 'id'],
      ['GET', '/v1/attachments/{id}/external-id', 'id'],
      ['GET', '/v1/attachments/{id}', 'id'],
      ['DELETE', '/v1/api-keys/{id}', 'id'],
      ['GET', '/v1/runs/{id}', 'runId'],
    ];
    for (const id of ids) {
      for (const [method, path, param] of routes) {
        const withBody = method === 'PATCH' || path.endsWith('/attachments');
        const reply = await raw(
          method,
          path.replace('{id}', id),
          withBody ? { type: 'application/json', body: '{}' } : {},
        );
        expect([method, path, id, reply.status]).toEqual([method, path, id, 400]);
        expect(reply.body.issues?.[0]?.path).toBe(param);
      }
    }
    const undecodable = await raw('GET', '/v1/callers/%E0%A4%A');
    expect([undecodable.status, undecodable.body.issues]).toEqual([
      400,
      [{ path: '(path)', rule: 'must be valid percent-encoded UTF-8' }],
    ]);
  });

  it('authenticates before it checks a path id', async () => {
    const reply = await raw('GET', '/v1/callers/%00', { key: null });
    expect([reply.status, reply.body.code]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('refuses control characters in list filters and cursors with 400', async () => {
    for (const query of ['label=a%00', 'cursor=%00', 'label=x&label=%1b[31m']) {
      const reply = await raw('GET', `/v1/callers?${query}`);
      expect([query, reply.status]).toEqual([query, 400]);
    }
  });
});
