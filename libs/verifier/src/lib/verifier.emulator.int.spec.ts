import type { INestApplication } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { bootstrapService } from '@runtrail/bootstrap';
import { loadConfig } from '@runtrail/config';
import { VerifyRoleRequest, type RequestOf, type VerifyRoleReply } from '@runtrail/contracts';
import { MessageBus } from '@runtrail/messaging';
import {
  freePort,
  startNatsServer,
  startTestEmulator,
  type AwsEmulator,
  type RunningNatsServer,
} from '@runtrail/testing';
import { ulid } from 'ulid';
import {
  CUSTOMER_ACCOUNT,
  PLATFORM,
  PLATFORM_ROOT,
  createRole,
  trustStatement,
} from '../spec/emulator-roles.fixture';
import { AwsStsGateway } from './sts/aws-sts.gateway';
import { verifierEnv } from './verifier.env';
import { VerifierModule } from './verifier.module';

type Integration = RequestOf<typeof VerifyRoleRequest>['integration'];
const CALLER = { type: 'stack' as const, id: ulid(), slug: 'network', spaceId: 'root' };
const ALL = ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'];

describe('verifier against the aws-emulator (real trust policies, real STS wire protocol)', () => {
  // Its own nats-server: verifier.v1.verify is a fixed subject other suites answer too.
  let nats: RunningNatsServer;
  let emulator: AwsEmulator;
  let app: INestApplication;
  let client: NatsConnection;
  let bus: MessageBus;
  const logs: string[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    emulator = await startTestEmulator();
    const env = loadConfig(verifierEnv, {
      DATABASE_URL: 'sqlite::memory:',
      VERIFIER_RETRY_ATTEMPTS: '8',
      VERIFIER_RETRY_BASE_DELAY_MS: '100',
      VERIFIER_RETRY_MAX_DELAY_MS: '800',
    });
    for (const stream of [process.stdout, process.stderr]) {
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        logs.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return true;
      });
    }
    app = await bootstrapService({
      name: 'verifier',
      modules: [
        VerifierModule.forRoot(env, { sts: new AwsStsGateway(emulator.endpoint, 'us-east-1', PLATFORM) }),
      ],
      http: { host: '127.0.0.1', port: await freePort() },
      nats: { servers: [nats.url] },
      logLevel: 'verbose',
    });
    client = await connect({ servers: nats.url });
    bus = new MessageBus(client);
  });

  afterAll(async () => {
    await client?.drain();
    await app?.close();
    jest.restoreAllMocks();
    await emulator?.stop();
    await nats?.stop();
  });

  function integration(roleArn: string, overrides: Partial<Integration> = {}): Integration {
    return {
      id: ulid(),
      account: 'acme',
      name: 'test',
      roleArn,
      durationSeconds: 3600,
      region: null,
      labels: [],
      spaceId: 'root',
      mode: 'platform',
      sessionTagging: false,
      sourceIdentity: false,
      customExternalId: null,
      ...overrides,
    };
  }

  const verify = (i: Integration, scopes?: { read: boolean; write: boolean }): Promise<VerifyRoleReply> =>
    bus.request(
      VerifyRoleRequest,
      { integration: i, ...(scopes ? { attachment: { caller: CALLER, ...scopes } } : {}) },
      { timeoutMs: 30_000 },
    );

  const statusOf = (verdict: VerifyRoleReply, check: string) =>
    verdict.checks.find((c) => c.check === check)?.status;

  it('accepts a safe role: platform account, exact external ids, the actions runtrail uses', async () => {
    const id = ulid();
    const roleArn = await createRole(emulator.endpoint, `safe-${id}`, [
      trustStatement(PLATFORM_ROOT, ALL, { StringEquals: { 'sts:ExternalId': `acme@${id}@network@read` } }),
    ]);
    const verdict = await verify(integration(roleArn, { id, sessionTagging: true, sourceIdentity: true }), {
      read: true,
      write: false,
    });
    expect(verdict.safe).toBe(true);
    expect(verdict.explanation).toBe('');
    expect(verdict.checks.map((c) => [c.check, c.status])).toEqual([
      ['assume-with-external-id:read', 'pass'],
      ['set-source-identity:read', 'pass'],
      ['tag-session:read', 'pass'],
      ['confused-deputy', 'pass'],
      ['foreign-external-id', 'pass'],
      ['scope-separation', 'pass'],
    ]);
    expect(verdict.suggestedStatement).toMatchObject({
      Principal: { AWS: PLATFORM_ROOT },
      Action: ALL,
      Condition: { StringEquals: { 'sts:ExternalId': `acme@${id}@network@read` } },
    });
  });

  it("accepts the seed's \"any stack\" policy (only sts:AssumeRole, <account>@*), warning that read and write are shared", async () => {
    const roleArn = await createRole(emulator.endpoint, `anystack-${ulid()}`, [
      trustStatement(PLATFORM_ROOT, ['sts:AssumeRole'], { StringLike: { 'sts:ExternalId': 'acme@*' } }),
    ]);
    const verdict = await verify(integration(roleArn), { read: true, write: false });
    expect(verdict.safe).toBe(true);
    expect(verdict.checks.map((c) => [c.check, c.status])).toEqual([
      ['assume-with-external-id:read', 'pass'],
      ['confused-deputy', 'pass'],
      ['foreign-external-id', 'pass'],
      ['scope-separation', 'warn'],
    ]);
    const both = await verify(integration(roleArn), { read: true, write: true });
    expect(both.safe).toBe(true);
    expect(both.checks.every((c) => c.status === 'pass')).toBe(true);
    expect(both.suggestedStatement).toMatchObject({ Action: 'sts:AssumeRole' });
  });

  it("refuses a role that accepts any external id: another runtrail tenant's would work too", async () => {
    const roleArn = await createRole(emulator.endpoint, `anyid-${ulid()}`, [
      trustStatement(PLATFORM_ROOT, ['sts:AssumeRole'], { StringLike: { 'sts:ExternalId': '*' } }),
    ]);
    const verdict = await verify(integration(roleArn), { read: true, write: true });
    expect(verdict.safe).toBe(false);
    expect(statusOf(verdict, 'assume-with-external-id:read')).toBe('pass');
    expect(statusOf(verdict, 'confused-deputy')).toBe('pass');
    expect(statusOf(verdict, 'foreign-external-id')).toBe('fail');
    expect(verdict.explanation).toContain('runtrail-foreign-tenant@');
    expect(verdict.explanation).toContain('another runtrail tenant');
    expect(verdict.suggestedStatement).toMatchObject({ Condition: { StringEquals: expect.anything() } });
  });

  it('verifies an integration without a caller by what must be refused only (its role may not exist yet)', async () => {
    const missing = await verify(integration(`arn:aws:iam::${CUSTOMER_ACCOUNT}:role/not-yet-${ulid()}`));
    expect(missing.checks.map((c) => [c.check, c.status])).toEqual([
      ['confused-deputy', 'pass'],
      ['foreign-external-id', 'pass'],
    ]);
    const id = ulid();
    const open = await createRole(emulator.endpoint, `star-${ulid()}`, [
      trustStatement(PLATFORM_ROOT, ['sts:AssumeRole'], { StringLike: { 'sts:ExternalId': `*@${id}@*` } }),
    ]);
    const verdict = await verify(integration(open, { id }));
    expect(verdict.safe).toBe(false);
    expect(statusOf(verdict, 'foreign-external-id')).toBe('fail');
    expect(verdict.suggestedStatement).toMatchObject({
      Condition: { StringLike: { 'sts:ExternalId': `acme@${id}@*` } },
    });
  });

  it('refuses a role without an external-id condition and explains the confused deputy', async () => {
    const roleArn = await createRole(emulator.endpoint, `open-${ulid()}`, [
      trustStatement(PLATFORM_ROOT, ALL),
    ]);
    const verdict = await verify(integration(roleArn), { read: true, write: true });
    expect(verdict.safe).toBe(false);
    expect(statusOf(verdict, 'confused-deputy')).toBe('fail');
    expect(verdict.explanation).toMatch(/WITHOUT an external id.*confused deputy/s);
    expect(JSON.stringify(verdict.suggestedStatement)).toContain('sts:ExternalId');
  });

  it("refuses a role that trusts another account than runtrail's platform", async () => {
    const roleArn = await createRole(emulator.endpoint, `other-${ulid()}`, [
      trustStatement('arn:aws:iam::333333333333:root', ALL, { StringLike: { 'sts:ExternalId': 'acme@*' } }),
    ]);
    const verdict = await verify(integration(roleArn), { read: true, write: false });
    expect(verdict.safe).toBe(false);
    expect(statusOf(verdict, 'assume-with-external-id:read')).toBe('fail');
    expect(verdict.explanation).toContain(`could not assume ${roleArn}`);
    expect(verdict.explanation).toContain(PLATFORM_ROOT);
    expect(verdict.suggestedStatement).toMatchObject({ Principal: { AWS: PLATFORM_ROOT } });
  });

  it('warns when read and write are not separated (the write external id works for a read-only attachment)', async () => {
    const roleArn = await createRole(emulator.endpoint, `wide-${ulid()}`, [
      trustStatement(PLATFORM_ROOT, ALL, { StringLike: { 'sts:ExternalId': 'acme@*' } }),
    ]);
    const verdict = await verify(integration(roleArn), { read: true, write: false });
    expect(verdict.safe).toBe(true);
    expect(statusOf(verdict, 'scope-separation')).toBe('warn');
    expect(verdict.checks.find((c) => c.check === 'scope-separation')?.message).toContain(
      'read and write are not separated',
    );
  });

  it('refuses session tagging when the trust policy lacks sts:TagSession', async () => {
    const roleArn = await createRole(emulator.endpoint, `notag-${ulid()}`, [
      trustStatement(PLATFORM_ROOT, ['sts:AssumeRole', 'sts:SetSourceIdentity'], {
        StringLike: { 'sts:ExternalId': 'acme@*' },
      }),
    ]);
    const tagged = await verify(integration(roleArn, { sessionTagging: true }), { read: true, write: false });
    expect(tagged.safe).toBe(false);
    expect(statusOf(tagged, 'tag-session:read')).toBe('fail');
    expect(tagged.explanation).toContain('sts:TagSession');
    const untagged = await verify(integration(roleArn, { sessionTagging: false }), {
      read: true,
      write: false,
    });
    expect(untagged.safe).toBe(true);
  });

  it('refuses SourceIdentity when the trust policy lacks sts:SetSourceIdentity, and does not ask for it when off', async () => {
    const roleArn = await createRole(emulator.endpoint, `nosi-${ulid()}`, [
      trustStatement(PLATFORM_ROOT, ['sts:AssumeRole'], { StringLike: { 'sts:ExternalId': 'acme@*' } }),
    ]);
    const verdict = await verify(integration(roleArn, { sourceIdentity: true }), { read: true, write: false });
    expect(verdict.safe).toBe(false);
    expect(statusOf(verdict, 'set-source-identity:read')).toBe('fail');
    expect(verdict.explanation).toContain('sts:SetSourceIdentity');
    expect(verdict.suggestedStatement).toMatchObject({ Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'] });
    const off = await verify(integration(roleArn), { read: true, write: false });
    expect(off.safe).toBe(true);
    expect(statusOf(off, 'set-source-identity:read')).toBeUndefined();
  });

  it('retries while the role does not exist yet and says eventual consistency was the cause', async () => {
    const name = `late-${ulid()}`;
    const roleArn = `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/${name}`;
    const pending = verify(integration(roleArn), { read: true, write: false });
    await new Promise((resolve) => setTimeout(resolve, 600));
    await createRole(emulator.endpoint, name, [
      trustStatement(PLATFORM_ROOT, ALL, { StringLike: { 'sts:ExternalId': 'acme@*@read' } }),
    ]);
    const verdict = await pending;
    expect(verdict.safe).toBe(true);
    const first = verdict.checks.find((c) => c.check === 'assume-with-external-id:read');
    expect(first?.status).toBe('pass');
    expect(first?.message).toMatch(/after \d+ attempts.*eventual consistency/);
  });

  it('gives up after the bound when the role never appears, suspecting eventual consistency', async () => {
    const verdict = await verify(integration(`arn:aws:iam::${CUSTOMER_ACCOUNT}:role/never-${ulid()}`), {
      read: true,
      write: false,
    });
    expect(verdict.safe).toBe(false);
    expect(verdict.eventualConsistencySuspected).toBe(true);
    expect(verdict.explanation).toContain('retried 8 times');
  });

  it('never logs or replies with the temporary credentials STS issued', async () => {
    const roleArn = await createRole(emulator.endpoint, `creds-${ulid()}`, [
      trustStatement(PLATFORM_ROOT, ALL, { StringLike: { 'sts:ExternalId': 'acme@*' } }),
    ]);
    const verdict = await verify(integration(roleArn, { sessionTagging: true, sourceIdentity: true }), {
      read: true,
      write: true,
    });
    expect(verdict.safe).toBe(true);
    expect(emulator.state.sessionCount()).toBeGreaterThan(0);
    const everything = logs.join('') + JSON.stringify(verdict);
    expect(everything).not.toMatch(/ASIA[A-Z0-9]{16}/);
    expect(everything).not.toContain(PLATFORM.secretAccessKey);
    expect(logs.join('')).toContain('safe (assume-with-external-id:read=pass');
  });
});
