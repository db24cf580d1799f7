// The emulator's HTTP surface under generated bad input (issue 14): whatever arrives (garbled
// bodies, encodings, NUL in parameters, huge payloads, signed or not), it answers in AWS's own error
// shapes and never with a 5xx.
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { SignatureV4 } from '@smithy/signature-v4';
import { startAwsEmulator, type AwsEmulator } from '../start-aws-emulator';
import { NodeSha256 } from '../lib/sigv4/node-sha256';
import { CUSTOMER_ADMIN, DEMO_ROLE_ARN, RUNTRAIL, testSeed } from './emulator.fixture';

let emulator: AwsEmulator;
const logged: string[] = [];

beforeAll(async () => {
  emulator = await startAwsEmulator({ seed: testSeed(), log: (line) => logged.push(line) });
});
afterAll(() => emulator.stop());

/** Strings an attacker sends: control characters, NUL, long runs, broken percent-encoding, unicode. */
const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('\u0000', 'a\u0000b', '%00', '%E0%A4%A', '%', '\uD800', '\u202e', ' ', '', '[', '{"a":'),
  fc.string({ maxLength: 3 }).map((s) => s.repeat(3000)),
  fc.integer().map(String),
);

const AWS_ERROR_SHAPES = [
  /<ErrorResponse[^>]*>[\s\S]*<Code>[^<]+<\/Code>/, // Query (STS, IAM)
  /<Error>[\s\S]*<Code>[^<]+<\/Code>/, // S3 REST
  /"__type":"[^"]+#[A-Za-z]+"/, // JSON 1.1 (CloudTrail)
];

async function expectAwsAnswer(response: Response): Promise<void> {
  const text = await response.text();
  expect(response.status).toBeLessThan(500);
  if (response.status >= 400 && !response.url.includes('/_emulator/'))
    expect(AWS_ERROR_SHAPES.some((shape) => shape.test(text))).toBe(true);
}

async function signed(
  service: 'sts' | 'iam' | 'cloudtrail',
  body: string,
  headers: Record<string, string>,
  credentials = RUNTRAIL,
): Promise<Response> {
  const url = new URL(emulator.endpoint);
  const request = await new SignatureV4({
    service,
    region: 'us-east-1',
    credentials,
    sha256: NodeSha256,
  }).sign({
    method: 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    query: {},
    headers: { host: url.host, ...headers },
    body,
  });
  return fetch(emulator.endpoint, {
    method: 'POST',
    headers: request.headers as Record<string, string>,
    body,
  });
}

const QUERY_ACTIONS = [
  'AssumeRole',
  'GetCallerIdentity',
  'CreateRole',
  'GetRole',
  'DeleteRole',
  'ListRoles',
  'UpdateAssumeRolePolicy',
  'PutRolePolicy',
  'GetRolePolicy',
  'AttachRolePolicy',
  'CreateOpenIDConnectProvider',
  'GetOpenIDConnectProvider',
  'AssumeRoleWithWebIdentity',
  'NoSuchAction',
];
const QUERY_PARAMS = [
  'RoleArn',
  'RoleSessionName',
  'ExternalId',
  'DurationSeconds',
  'RoleName',
  'PolicyName',
  'PolicyDocument',
  'AssumeRolePolicyDocument',
  'PolicyArn',
  'Url',
  'OpenIDConnectProviderArn',
  'WebIdentityToken',
  'SourceIdentity',
  'Tags.member.1.Key',
  'Tags.member.1.Value',
  'TransitiveTagKeys.member.1',
  'Policy',
  'MaxItems',
  'Marker',
  'PathPrefix',
];

describe('aws-emulator under hostile input', () => {
  it('answers signed STS and IAM calls with garbled parameters in AWS error XML, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...QUERY_ACTIONS),
        fc.constantFrom<'sts' | 'iam'>('sts', 'iam'),
        fc.dictionary(fc.constantFrom(...QUERY_PARAMS), hostileText, { maxKeys: 5 }),
        fc.boolean(),
        async (action, service, params, customer) => {
          const body = new URLSearchParams({
            Action: action,
            Version: service === 'iam' ? '2010-05-08' : '2011-06-15',
            ...params,
          });
          if (action === 'AssumeRole' && !('RoleArn' in params)) body.set('RoleArn', DEMO_ROLE_ARN);
          const response = await signed(
            service,
            body.toString(),
            { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
            customer ? CUSTOMER_ADMIN : RUNTRAIL,
          );
          await expectAwsAnswer(response);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('answers signed LookupEvents with garbled JSON in AWS JSON errors, never a 5xx', async () => {
    const value = fc.oneof(
      hostileText,
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(hostileText, { maxLength: 3 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          hostileText,
          fc
            .record(
              {
                LookupAttributes: fc.oneof(
                  value,
                  fc.array(fc.record({ AttributeKey: value, AttributeValue: value }), { maxLength: 3 }),
                ),
                MaxResults: value,
                NextToken: value,
                StartTime: value,
                EndTime: value,
                EventCategory: value,
              },
              { requiredKeys: [] },
            )
            .map((o) => JSON.stringify(o)),
        ),
        async (body) => {
          const response = await signed('cloudtrail', body, {
            'content-type': 'application/x-amz-json-1.1',
            'x-amz-target': 'CloudTrail_20131101.LookupEvents',
          });
          await expectAwsAnswer(response);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('answers unsigned garbage on every route (bad encodings, content types, paths) without a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
        fc.oneof(
          fc.constantFrom(
            '/',
            '/_emulator/faults',
            '/_emulator/nope',
            '/acme-trail',
            '/acme-trail/AWSLogs/%E0%A4%A',
            '/%00',
            '/?list-type=2&prefix=%00',
            '/acme-trail?list-type=2&continuation-token=%E0',
          ),
          hostileText.map((t) => `/${encodeURIComponent(Buffer.from(t).toString('utf8')).slice(0, 200)}`),
        ),
        fc.constantFrom(
          undefined,
          'application/x-www-form-urlencoded',
          'application/x-amz-json-1.1',
          'text/plain',
          'application/xml',
          'multipart/form-data; boundary=x',
        ),
        fc.constantFrom(undefined, 'gzip', 'br', 'x-unknown'),
        fc.constantFrom(undefined, 'CloudTrail_20131101.LookupEvents', 'CloudTrail_20131101.Nope', '\u0000'),
        hostileText,
        async (method, path, contentType, encoding, target, text) => {
          const headers: Record<string, string> = {};
          if (contentType) headers['content-type'] = contentType;
          if (encoding) headers['content-encoding'] = encoding;
          if (target && !target.includes('\u0000')) headers['x-amz-target'] = target;
          const body =
            method === 'GET' || method === 'OPTIONS'
              ? undefined
              : encoding === 'gzip'
                ? gzipSync(text)
                : `Action=AssumeRole&RoleSessionName=${text}`;
          const response = await fetch(`${emulator.endpoint}${path}`, { method, headers, body });
          await expectAwsAnswer(response);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('refuses a body over its limit with 413 in AWS XML, and an admin body over it too', async () => {
    const huge = 'Action=GetCallerIdentity&Junk=' + 'x'.repeat(2 * 1024 * 1024);
    const sts = await fetch(emulator.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: huge,
    });
    expect(sts.status).toBe(413);
    expect(await sts.text()).toMatch(/<Code>RequestEntityTooLarge<\/Code>/);
    const admin = await fetch(`${emulator.endpoint}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `[${' '.repeat(2 * 1024 * 1024)}]`,
    });
    expect(admin.status).toBe(413);
  });

  it('logged no unexpected failure', () => {
    expect(logged.filter((line) => /unexpected failure| failed: | failed$/.test(line))).toEqual([]);
  });
});
