import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import type { EntityManager } from '@mikro-orm/core';
import { jetstreamManager } from '@nats-io/jetstream';
import { STREAMS } from '@runtrail/contracts';
import { ensureStreams } from '@runtrail/nats-setup';
import { getEntityManagerToken, schemaDrift } from '@runtrail/persistence';
import {
  describeEachDatabase,
  freePort,
  startNatsServer,
  startTestEmulator,
  testPostgresUrl,
} from '@runtrail/testing';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { DEMO_ROLE, IntegrationsApp, PLATFORM } from '../spec/integrations-app.harness';
import { integrationsPersistence } from './integrations.persistence';

const CUSTOMER_ADMIN = {
  accessKeyId: 'AKIA2222CUSTOMERADM1',
  secretAccessKey: 'customer-admin-local-secret-not-a-real-key',
};
const TABLES = ['account', 'space', 'api_key', 'caller', 'aws_integration', 'attachment', 'outbox_event'];

describeEachDatabase('integrations: outbox, secrets, schema, OpenAPI, verified attach', (db) => {
  let api: IntegrationsApp;
  let admin: string;
  const keys: string[] = [];

  beforeAll(async () => {
    api = await IntegrationsApp.start(db.databaseUrl, {
      nats: await startNatsServer(),
      emulator: await startTestEmulator(),
      ports: [await freePort(), await freePort()],
    });
    admin = await api.account('acme');
    keys.push(admin);
  });
  afterAll(() => api?.close());

  const em = () => api.app.get<EntityManager>(getEntityManagerToken('integrations')).fork();
  const rows = async (table: string): Promise<Array<Record<string, unknown>>> =>
    em().getConnection().execute(`select * from ${table}`);

  it('has migrations that match the entities', async () => {
    expect(await schemaDrift(integrationsPersistence, db.driver, testPostgresUrl())).toEqual([]);
  });

  it('keeps events in the outbox while JetStream cannot take them and publishes them once it can', async () => {
    const jsm = await jetstreamManager(api.client);
    await jsm.streams.delete('INTEGRATIONS');
    const made = await api.call<{ id: string }>('POST', '/v1/integrations', {
      key: admin,
      body: { name: 'while-down', roleArn: DEMO_ROLE },
    });
    expect(made.status).toBe(201);
    const pending = await api.eventually(
      () => rows('outbox_event'),
      (r) => r.some((row) => Number(row['attempts']) > 0),
    );
    expect(pending.length).toBeGreaterThan(0);
    expect(JSON.stringify(pending)).toContain(made.body.id);
    await ensureStreams(api.client, [STREAMS.INTEGRATIONS]);
    const events = await api.eventually(
      () => api.events(),
      (e) => e.some((x) => x.subject === 'integrations.v1.created'),
    );
    expect(events.map((e) => (e.data['integration'] as { id: string } | undefined)?.id)).toContain(
      made.body.id,
    );
    expect(
      await api.eventually(
        () => rows('outbox_event'),
        (r) => r.length === 0,
      ),
    ).toEqual([]);
  });

  it('refuses an attachment the role does not trust with 422 and the verdict, and writes nothing', async () => {
    const iam = new IAMClient({
      endpoint: api.emulator.endpoint,
      region: 'us-east-1',
      credentials: CUSTOMER_ADMIN,
    });
    const statement = {
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::111111111111:root' },
      Action: 'sts:AssumeRole',
      Condition: { StringLike: { 'sts:ExternalId': 'acme@*@good@*' } },
    };
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: 'only-good',
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [statement] }),
      }),
    );
    iam.destroy();
    const id = (
      await api.call<{ id: string }>('POST', '/v1/integrations', {
        key: admin,
        body: { name: 'only-good', roleArn: role.Role?.Arn },
      })
    ).body.id;
    const good = (
      await api.call<{ id: string }>('POST', '/v1/callers', {
        key: admin,
        body: { type: 'stack', slug: 'good' },
      })
    ).body.id;
    const bad = (
      await api.call<{ id: string }>('POST', '/v1/callers', {
        key: admin,
        body: { type: 'module', slug: 'bad' },
      })
    ).body.id;
    const refused = await api.call<{ code: string; verdict: { explanation: string } }>(
      'POST',
      `/v1/integrations/${id}/attachments`,
      { key: admin, body: { callerId: bad } },
    );
    expect([refused.status, refused.body.code]).toEqual([422, 'UNSAFE_TRUST_POLICY']);
    expect(refused.body.verdict.explanation).toContain(`acme@${id}@bad@read`);
    expect(
      (await api.call('POST', `/v1/integrations/${id}/attachments`, { key: admin, body: { callerId: good } }))
        .status,
    ).toBe(201);
    expect((await rows('attachment')).filter((a) => a['caller_id'] === bad)).toEqual([]);
  });

  it('stores no API key secret and logs no secret', async () => {
    const reader = await api.call<{ key: string }>('POST', '/v1/api-keys', {
      key: admin,
      body: { name: 'ci', role: 'reader' },
    });
    keys.push(reader.body.key);
    await api.call('GET', '/v1/integrations', { key: reader.body.key });
    const everything = JSON.stringify(await Promise.all(TABLES.map(rows)));
    const output = api.output.text;
    for (const key of keys) {
      const secret = key.split('.')[2]!;
      expect(everything).not.toContain(secret);
      expect(output).not.toContain(secret);
    }
    expect(everything + output).not.toMatch(/ASIA[A-Z0-9]{16}/);
    expect(output).not.toContain(PLATFORM.secretAccessKey);
    expect(output).toContain('safe (assume-with-external-id:read=pass');
  });

  it('serves an OpenAPI 3.1 document that a validator accepts and that lists every route', async () => {
    const reply = await api.call<{ openapi: string; paths: Record<string, object> }>(
      'GET',
      '/v1/openapi.json',
    );
    expect(reply.status).toBe(200);
    expect(reply.body.openapi).toBe('3.1.0');
    expect(validateOpenApi(reply.body)).toEqual({ valid: true, errors: [] });
    // Every route the app serves under /v1 is documented, with its method.
    const express = api.app.getHttpAdapter().getInstance() as {
      router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> };
    };
    const served = express.router.stack
      .flatMap((layer) =>
        layer.route ? Object.keys(layer.route.methods).map((m) => [m, layer.route!.path]) : [],
      )
      .filter(([, path]) => path!.startsWith('/v1/') && path !== '/v1/openapi.json')
      .map(([method, path]) => `${method} ${path!.replace(/:(\w+)/g, '{$1}')}`);
    expect(served.length).toBeGreaterThan(20);
    const documented = Object.entries(reply.body.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method} ${path}`),
    );
    expect(documented).toEqual(expect.arrayContaining(served));
    const refs = [...JSON.stringify(reply.body).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map(
      (m) => m[1]!,
    );
    const schemas = (reply.body as unknown as { components: { schemas: Record<string, object> } }).components
      .schemas;
    for (const ref of refs) expect(Object.keys(schemas)).toContain(ref);
  });
});

/**
 * Validates with @seriousme/openapi-schema-validator (the OpenAPI project's own JSON schemas). It is
 * ESM-only, so it runs in a child Node process rather than inside Jest's CommonJS module system.
 */
function validateOpenApi(document: object): { valid: boolean; errors: unknown[] } {
  const script = `
    import { Validator } from '@seriousme/openapi-schema-validator';
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    const result = await new Validator().validate(JSON.parse(input));
    process.stdout.write(JSON.stringify({ valid: result.valid, errors: result.errors ?? [] }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: join(__dirname, '../../../..'),
    input: JSON.stringify(document),
    encoding: 'utf8',
  });
  return JSON.parse(out) as { valid: boolean; errors: unknown[] };
}
