import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { ulid } from 'ulid';
import { ROOT } from './support/service.process';
import { CUSTOMER, DEMO_ROLE, E2eStack } from './support/stack.harness';

// Hostile input against the real stack (issue 14): every operation of integrations' and audit's
// OpenAPI documents, driven with generated bad input (wrong types, lengths, control characters,
// encodings, content types, cursors, path ids, keys of other accounts and of weaker roles). Whatever
// arrives: no 5xx, every 4xx is problem+json, and a refused request writes nothing (the services'
// databases are compared before and after). The run count is bounded so the suite stays short.

const RUNS = 500;

let stack: E2eStack;
let operations: Operation[];
let keys: Record<KeyName, string | null>;
/** Ids that exist: acme's (the key holders' own) and globex's (another tenant's). */
let ids: { acme: string[]; globex: string[] };

type KeyName =
  'none' | 'garbage' | 'acmeAdmin' | 'acmeReader' | 'acmeScheduler' | 'acmeRevoked' | 'globexAdmin';
type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  enum?: unknown[];
  $ref?: string;
  items?: JsonSchema;
};

interface Operation {
  service: 'integrations' | 'audit';
  base: string;
  method: string;
  path: string;
  pathParams: string[];
  query: Array<{ name: string; schema: JsonSchema }>;
  body: JsonSchema | null;
}

interface HostileRequest {
  operation: Operation;
  key: KeyName;
  pathValues: string[];
  query: Array<[string, string]>;
  body: { contentType?: string; contentEncoding?: string; payload?: string | Buffer } | null;
}

beforeAll(async () => {
  const build = spawnSync(process.execPath, ['tools/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  stack = await E2eStack.start({ integrations: 'real', audit: true, brokers: 0, oidcRole: false });
  operations = [
    ...operationsOf(
      'integrations',
      stack.integrationsUrl,
      await getJson(`${stack.integrationsUrl}/v1/openapi.json`),
    ),
    ...operationsOf('audit', stack.auditUrl, await getJson(`${stack.auditUrl}/v1/audit/openapi.json`)),
  ];
  ({ keys, ids } = await tenants());
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

const status = (o: Operation) => `${o.method.toUpperCase()} ${o.path}`;

it('covers every operation of both OpenAPI documents', () => {
  const names = operations.map(status);
  expect(names).toEqual(
    expect.arrayContaining([
      'POST /v1/integrations',
      'PATCH /v1/callers/{id}',
      'GET /v1/audit/events',
      'POST /v1/audit/trail-sources',
    ]),
  );
  expect(operations.filter((o) => o.service === 'integrations').length).toBeGreaterThan(15);
  expect(operations.filter((o) => o.service === 'audit').length).toBeGreaterThan(5);
});

it(`answers ${RUNS} generated bad requests over every operation with no 5xx, problem+json 4xx and no write`, async () => {
  const seen = new Set<string>();
  const codes = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(
      fc.nat({ max: operations.length - 1 }).chain((index) => hostileRequest(operations[index]!)),
      async (request) => {
        seen.add(status(request.operation));
        const before = state();
        const response = await send(request);
        const text = await response.text();
        const where = `${status(request.operation)} as ${request.key} -> ${response.status} ${text.slice(0, 300)}`;
        const code =
          response.status < 400
            ? String(response.status)
            : String((JSON.parse(text) as { code?: unknown }).code);
        codes.set(code, (codes.get(code) ?? 0) + 1);
        expect([where, response.status < 500]).toEqual([where, true]);
        if (response.status < 400) {
          // Only a valid key is let in; another tenant's ids never answer for it; a reader never writes.
          const foreign =
            request.key === 'globexAdmin' && request.pathValues.some((v) => ids.acme.includes(v));
          const keyless = ['none', 'garbage', 'acmeRevoked'].includes(request.key);
          const readerWrote = request.key === 'acmeReader' && request.operation.method !== 'GET';
          expect([where, { foreign, keyless, readerWrote }]).toEqual([
            where,
            { foreign: false, keyless: false, readerWrote: false },
          ]);
          return;
        }
        expect([where, response.headers.get('content-type') ?? '']).toEqual([
          where,
          expect.stringMatching(/^application\/problem\+json/),
        ]);
        const problem = JSON.parse(text) as Record<string, unknown>;
        expect([where, problem]).toEqual([
          where,
          expect.objectContaining({
            type: expect.any(String),
            title: expect.any(String),
            status: response.status,
            detail: expect.any(String),
            code: expect.any(String),
          }),
        ]);
        expect([where, state()]).toEqual([where, before]);
      },
    ),
    { numRuns: RUNS, endOnFailure: true },
  );
  // Every operation was tried at least once (the generator picks them uniformly), and the input got
  // past each layer: some accepted, some refused by authentication, media type, validation, lookup.
  expect(operations.map(status).filter((name) => !seen.has(name))).toEqual([]);
  if (process.env['HOSTILE_INPUT_STATS']) console.log(Object.fromEntries(codes), state());
  expect([...codes.keys()]).toEqual(
    expect.arrayContaining([
      'UNAUTHENTICATED',
      'UNSUPPORTED_MEDIA_TYPE',
      'VALIDATION_FAILED',
      'NOT_FOUND',
      'PAYLOAD_TOO_LARGE',
      '200',
    ]),
  );
}, 240_000);

async function getJson<T = unknown>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return (await response.json()) as T;
}

function operationsOf(service: Operation['service'], base: string, doc: unknown): Operation[] {
  const { paths, components } = doc as {
    paths: Record<
      string,
      Record<
        string,
        {
          parameters?: Array<{ name: string; in: string; schema?: JsonSchema }>;
          requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
        }
      >
    >;
    components?: { schemas?: Record<string, JsonSchema> };
  };
  const resolve = (schema: JsonSchema | undefined): JsonSchema | null => {
    if (!schema) return null;
    if (schema.$ref) return components?.schemas?.[schema.$ref.split('/').pop() ?? ''] ?? null;
    return schema;
  };
  return Object.entries(paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
      .map(([method, op]) => ({
        service,
        base,
        method: method.toUpperCase(),
        path,
        pathParams: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
        query: (op.parameters ?? [])
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        body: resolve(op.requestBody?.content?.['application/json']?.schema),
      })),
  );
}

/** Two tenants as users make them: acme's keys of every role (one revoked), globex's admin, and ids of both. */
async function tenants(): Promise<{
  keys: Record<KeyName, string | null>;
  ids: { acme: string[]; globex: string[] };
}> {
  const admin = await newKey(stack.api.request.bind(stack.api), 'hostile-admin', 'admin');
  const acme = asKey(stack.integrationsUrl, admin);
  const reader = await newKey(acme, 'hostile-reader', 'reader');
  const scheduler = await newKey(acme, 'hostile-scheduler', 'scheduler');
  const revoked = await newKey(acme, 'hostile-revoked', 'admin');
  await acme('DELETE', `/api-keys/${revoked.split('.')[1]}`);
  // A second tenant, made the operator's way: with the bootstrap token integrations was started with.
  const bootstrap = asKey(stack.integrationsUrl, stack.bootstrapToken);
  const globexAdmin = (await bootstrap('POST', '/accounts', { slug: 'globex' })).body as {
    apiKey: { key: string };
  };
  const globex = asKey(stack.integrationsUrl, globexAdmin.apiKey.key);
  const made = async (api: ReturnType<typeof asKey>, slug: string) => {
    const caller = (await api('POST', '/callers', { type: 'stack', slug })).body as { id: string };
    const integration = (await api('POST', '/integrations', { name: slug, roleArn: DEMO_ROLE })).body as {
      id: string;
    };
    const attachment = (
      await api('POST', `/integrations/${integration.id}/attachments`, { callerId: caller.id })
    ).body as { id?: string };
    return [caller.id, integration.id, attachment.id].filter((id): id is string => typeof id === 'string');
  };
  const acmeIds = await made(acme, 'acme-stack');
  const globexIds = await made(globex, 'globex-stack');
  const source = await fetch(`${stack.auditUrl}/v1/audit/trail-sources`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      awsAccountId: CUSTOMER,
      regions: ['us-east-1'],
      roleArn: `arn:aws:iam::${CUSTOMER}:role/runtrail-trail-reader`,
    }),
  });
  const sourceId = ((await source.json()) as { id?: string }).id;
  return {
    keys: {
      none: null,
      garbage: 'rtk.not-a-key',
      acmeAdmin: admin,
      acmeReader: reader,
      acmeScheduler: scheduler,
      acmeRevoked: revoked,
      globexAdmin: globexAdmin.apiKey.key,
    },
    ids: { acme: [...acmeIds, revoked.split('.')[1]!, ...(sourceId ? [sourceId] : [])], globex: globexIds },
  };
}

type Call = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: unknown }>;

async function newKey(call: Call, name: string, role: string): Promise<string> {
  const reply = await call('POST', '/api-keys', { name, role });
  const key = (reply.body as { key?: string }).key;
  if (!key) throw new Error(`POST /v1/api-keys answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  return key;
}

function asKey(base: string, key: string): Call {
  return async (method, path, body) => {
    const response = await fetch(`${base}/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
  };
}

// ---- generators ---------------------------------------------------------------------------------

const CONTROL = fc.constantFrom(
  '\u0000',
  '\u0001',
  '\u0007',
  '\b',
  '\t',
  '\n',
  '\r',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u009f',
);

/** Text an attacker sends: control characters, NUL, long runs, odd unicode, injection-looking strings. */
const hostileText = fc.oneof(
  fc
    .tuple(fc.string({ maxLength: 8 }), CONTROL, fc.string({ maxLength: 8 }))
    .map(([a, c, b]) => `${a}${c}${b}`),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(
    '',
    ' ',
    'x'.repeat(300),
    'y'.repeat(5000),
    "' OR '1'='1",
    '../../etc/passwd',
    '%00',
    '\u202eevil',
    '💩',
    'ＡＢＣ',
    '\uD800',
  ),
  fc.integer().map(String),
);

/** A JSON value of the wrong shape, or a hostile string. */
const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  hostileText,
  fc.integer(),
  fc.constantFrom(1e308, -1, 0, 1.5, 2 ** 53 + 1),
  fc.boolean(),
  fc.constant(null),
  fc.array(hostileText, { maxLength: 3 }),
  fc.dictionary(hostileText, hostileText, { maxKeys: 2 }),
);

/** A value that passes for the field (so generated bodies get past the first check to the next one). */
function plausible(name: string, schema: JsonSchema | undefined): fc.Arbitrary<unknown> {
  if (schema?.enum?.length) return fc.constantFrom(...schema.enum);
  const known: Record<string, unknown[]> = {
    roleArn: [DEMO_ROLE, `arn:aws:iam::${CUSTOMER}:role/runtrail-trail-reader`],
    callerId: [...ids.acme, ...ids.globex],
    awsAccountId: [CUSTOMER, '111111111111'],
    regions: [['us-east-1'], ['eu-west-1', 'eu-west-1']],
    spaceId: ['root', 'dev'],
    slug: ['hostile', 'acme'],
    id: ['dev', 'root'],
    name: ['x', 'ok name'],
    labels: [['a'], []],
    durationSeconds: [3600, 900],
    type: ['stack', 'module'],
    role: ['admin', 'reader'],
  };
  const value = known[name];
  if (value) return fc.constantFrom(...value);
  const type = Array.isArray(schema?.type) ? schema?.type[0] : schema?.type;
  if (type === 'boolean') return fc.boolean();
  if (type === 'integer' || type === 'number') return fc.integer({ min: 1, max: 100 });
  return fc.constantFrom('x', 'valid-text');
}

function bodyArbitrary(schema: JsonSchema | null): fc.Arbitrary<HostileRequest['body']> {
  const props = Object.entries(schema?.properties ?? {});
  const object: fc.Arbitrary<Record<string, unknown>> = props.length
    ? fc
        .tuple(
          ...props.map(([name, propSchema]) =>
            fc.oneof(
              { weight: 2, arbitrary: plausible(name, propSchema) },
              { weight: 2, arbitrary: hostileJson },
              { weight: 1, arbitrary: fc.constant(undefined) },
            ),
          ),
          fc.option(fc.tuple(hostileText, hostileJson), { freq: 4 }),
        )
        .map((values) => {
          const extra = values.pop() as [string, unknown] | null;
          const body: Record<string, unknown> = Object.fromEntries(
            props.map(([name], i) => [name, values[i]]).filter(([, v]) => v !== undefined),
          );
          if (extra) body[extra[0]] = extra[1];
          return body;
        })
    : fc.dictionary(hostileText, hostileJson, { maxKeys: 3 });
  const json = (payload: string | Buffer, contentType = 'application/json', contentEncoding?: string) => ({
    contentType,
    contentEncoding,
    payload,
  });
  return fc.oneof(
    { weight: 8, arbitrary: object.map((o) => json(JSON.stringify(o))) },
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        json('{"name":'),
        json('[]'),
        json('"text"'),
        json('null'),
        json('{"a":1}'.padEnd(150 * 1024, ' ')),
        json('['.repeat(20_000) + ']'.repeat(20_000)),
        json(gzipSync(JSON.stringify({ name: 'x'.repeat(300 * 1024) })), 'application/json', 'gzip'),
        json('not gzip', 'application/json', 'gzip'),
        json('{}', 'application/json', 'x-unknown'),
        json('{"name":"x"}', 'application/json; charset=latin1'),
        json('\u0000'),
      ),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          object,
          fc.constantFrom(
            undefined,
            'text/plain',
            'application/x-www-form-urlencoded',
            'application/xml',
            'multipart/form-data; boundary=x',
          ),
        )
        .map(([o, type]) => ({
          contentType: type,
          payload:
            type === 'application/x-www-form-urlencoded'
              ? new URLSearchParams(
                  Object.entries(o).map(([k, v]): [string, string] => [k, JSON.stringify(v) ?? '']),
                ).toString()
              : JSON.stringify(o),
        })),
    },
    { weight: 1, arbitrary: fc.constant(null) },
  );
}

function pathValue(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...ids.acme, ...ids.globex) },
    { weight: 1, arbitrary: fc.constant(null).map(() => ulid()) },
    { weight: 3, arbitrary: hostileText.map((t) => encoded(t).slice(0, 2000)) },
    { weight: 1, arbitrary: fc.constantFrom('%E0%A4%A', '%', '%C0%AF', '%FF', `${ulid()}%00`, '..%2F..%2F') },
  );
}

function queryArbitrary(query: Operation['query']): fc.Arbitrary<Array<[string, string]>> {
  const cursor = fc.oneof(
    hostileText,
    fc.constantFrom(
      '%00',
      '%E0%A4%A',
      Buffer.from('[1e308,"x"]').toString('base64url'),
      Buffer.from('[1,"\u0000"]').toString('base64url'),
      Buffer.from(ulid()).toString('base64url'),
    ),
  );
  const value = (name: string, schema: JsonSchema) =>
    fc.oneof(
      name === 'cursor' ? cursor : hostileText,
      plausible(name, schema).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
    );
  return fc
    .tuple(
      fc
        .subarray(query)
        .chain((chosen) =>
          fc.tuple(...chosen.map((q) => value(q.name, q.schema).map((v) => [q.name, v] as [string, string]))),
        ),
      fc.option(fc.tuple(hostileText, hostileText), { freq: 4 }),
      fc.option(fc.constantFrom(...(query.length ? query.map((q) => q.name) : ['x'])), { freq: 5 }),
    )
    .map(([pairs, extra, repeated]) => [
      ...pairs,
      ...(extra ? [extra] : []),
      // A parameter given twice arrives as an array.
      ...(repeated
        ? ([
            [repeated, 'a'],
            [repeated, 'b'],
          ] as Array<[string, string]>)
        : []),
    ]);
}

function hostileRequest(operation: Operation): fc.Arbitrary<HostileRequest> {
  const takesBody = ['POST', 'PUT', 'PATCH'].includes(operation.method);
  return fc.record({
    operation: fc.constant(operation),
    key: fc.constantFrom<KeyName>(
      'none',
      'garbage',
      'acmeAdmin',
      'acmeAdmin',
      'acmeAdmin',
      'acmeReader',
      'acmeScheduler',
      'acmeRevoked',
      'globexAdmin',
    ),
    pathValues: fc.tuple(...operation.pathParams.map(() => pathValue())),
    query: queryArbitrary(operation.query),
    // fetch sends no body with GET; a DELETE may carry one that the route never reads.
    body: takesBody
      ? bodyArbitrary(operation.body)
      : operation.method === 'DELETE'
        ? fc.option(bodyArbitrary(null), { freq: 6 })
        : fc.constant(null),
  });
}

/** Percent-encoded, lone surrogates as U+FFFD; `%E0%A4%A` and the like are sent raw, as given. */
function encoded(text: string): string {
  return /^(%[0-9A-Fa-f]{0,2})+$/.test(text) ? text : encodeURIComponent(Buffer.from(text).toString('utf8'));
}

async function send(request: HostileRequest): Promise<Response> {
  const { operation } = request;
  let i = 0;
  const path = operation.path.replace(/\{\w+\}/g, () => request.pathValues[i++] ?? '');
  const qs = request.query.map(([k, v]) => `${encoded(k)}=${encoded(v)}`).join('&');
  const key = keys[request.key];
  const headers: Record<string, string> = {};
  if (key) headers['authorization'] = `Bearer ${key}`;
  if (request.body?.contentType) headers['content-type'] = request.body.contentType;
  if (request.body?.contentEncoding) headers['content-encoding'] = request.body.contentEncoding;
  return fetch(`${operation.base}${path}${qs ? `?${qs}` : ''}`, {
    method: operation.method,
    headers,
    body: request.body?.payload,
  });
}

// ---- state --------------------------------------------------------------------------------------

/**
 * A digest of every row a REST request may write: integrations' tables and audit's trail sources.
 * Left out: what moves by itself after an accepted request (the outbox relay, audit's copy of the
 * admin log and its ingest) and schema bookkeeping.
 */
function state(): Record<string, string> {
  return {
    integrations: digest(stack.integrationsDatabasePath, (t) => !/outbox|mikro_orm|migrations/.test(t)),
    audit: digest(stack.auditDatabasePath, (t) => t === 'trail_source'),
  };
}

function digest(file: string, keep: (table: string) => boolean): string {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{
        name: string;
      }>
    )
      .map((t) => t.name)
      .filter(keep);
    const hash = createHash('sha256');
    for (const table of tables)
      hash.update(table).update(JSON.stringify(db.prepare(`SELECT * FROM "${table}" ORDER BY rowid`).all()));
    return `${tables.length} tables ${hash.digest('hex').slice(0, 16)}`;
  } finally {
    db.close();
  }
}
