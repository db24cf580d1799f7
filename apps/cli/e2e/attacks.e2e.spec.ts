import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  CredentialsRefreshRequest,
  deliveryPlaintextSchema,
  type Phase,
  type RunPhaseChanged,
} from '@runtrail/contracts';
import { generateSealingKeyPair, open, type SealingKeyPair } from '@runtrail/sealing';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { ulid } from 'ulid';
import type { IntegrationsApi } from './support/integrations.api';
import { ROOT } from './support/service.process';
import {
  CUSTOMER,
  DEMO_ROLE,
  E2eStack,
  PLATFORM_ACCOUNT,
  WORKER_POOL,
  type ScheduledRun,
} from './support/stack.harness';

// Attacks at a tenant or space boundary, tried black box with what an attacker there holds: an API
// key of the REST API, `runtrail exec` on a worker, write access to a service's database. Every one
// must fail. (A run's command reading the worker's ~/.aws is exec.e2e.spec.ts's.)
let stack: E2eStack;
/** Keys of acme an attacker may hold: a scheduler and an admin limited to space `dev`. */
let devScheduler: IntegrationsApi;
let devAdmin: IntegrationsApi;
let scheduler: IntegrationsApi;

type Problem = { code: string; detail: string; issues?: Array<{ path: string; rule: string }> };
type RunView = { id: string; phase: Phase; nextPhases: Phase[]; spaceId: string };

beforeAll(async () => {
  const build = spawnSync(process.execPath, ['tools/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  stack = await E2eStack.start({ integrations: 'real' });
  for (const id of ['dev', 'prod']) await stack.api.request('POST', '/spaces', { id, name: id });
  const key = async (name: string, role: string, spaceSubtree?: string) =>
    stack.api.withKey(
      (await stack.api.request<{ key: string }>('POST', '/api-keys', { name, role, spaceSubtree })).body.key,
    );
  scheduler = await key('attacks-scheduler', 'scheduler');
  devScheduler = await key('dev-scheduler', 'scheduler', 'dev');
  devAdmin = await key('dev-admin', 'admin', 'dev');
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

/** A stack of acme in `spaceId`, registered by acme's account-wide admin. */
async function stackIn(slug: string, spaceId: string): Promise<string> {
  return stack.api.registerStack(slug, spaceId);
}

/** `POST /v1/runs` for a stack with the attacker's own worker key. */
function startRun(as: IntegrationsApi, body: Record<string, unknown>, keys: SealingKeyPair) {
  return as.request<RunView & Problem>('POST', '/runs', {
    runType: 'TRACKED',
    workerId: 'worker-attacker',
    workerPublicKey: keys.publicJwk,
    ...body,
  });
}

function enter(as: IntegrationsApi, runId: string, body: Record<string, unknown>) {
  return as.request<RunView & Problem>('POST', `/runs/${runId}/phases`, body);
}

async function phaseEvents(runId: string): Promise<RunPhaseChanged[]> {
  return (await stack.streamMessages('RUNS', `runs.v1.phase.${runId}`)).map(
    (m) => JSON.parse(m.data) as RunPhaseChanged,
  );
}

/** Polls `read` until `done` holds of its result (events reach streams asynchronously, via the outbox). */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function credentialEvents(subject: 'issued' | 'failed', runId: string) {
  return (await stack.streamMessages('CREDENTIALS', `credentials.v1.${subject}`))
    .map((m) => JSON.parse(m.data) as { runId: string; phase: Phase; code?: string; reason?: string })
    .filter((e) => e.runId === runId);
}

/** The broker's durable consumer has taken and acknowledged every run event published so far. */
async function brokerCaughtUp(): Promise<void> {
  const jsm = await jetstreamManager(stack.nc);
  const idle = await until(
    () => jsm.consumers.info('RUNS', 'credential-broker'),
    (i) => i.num_pending === 0 && i.num_ack_pending === 0,
  );
  expect([idle.num_pending, idle.num_ack_pending]).toEqual([0, 0]);
}

/** `runtrail exec` of `run` as its scheduler; the run gets no credentials, so the command never starts. */
async function refusedRun(run: ScheduledRun): Promise<string> {
  const result = await stack.execRun(run, ['sh', '-c', 'echo command-started']);
  expect({ code: result.code, started: result.stdout.includes('command-started') }).toEqual({
    code: 3,
    started: false,
  });
  return result.stderr;
}

describe('forged account, space or caller in a run', () => {
  it("a scheduler key of acme cannot start a run of globex's caller, by id or by slug, nor learn it exists", async () => {
    const globex = await stack.tenant('globex');
    const globexCaller = await globex.registerStack('globex-payments');
    const keys = await generateSealingKeyPair();

    for (const caller of [
      { callerId: globexCaller },
      { caller: { type: 'stack', slug: 'globex-payments' } },
    ]) {
      const runId = ulid();
      const refused = await startRun(scheduler, { runId, ...caller }, keys);
      expect([refused.status, refused.body.code]).toEqual([404, 'NOT_FOUND']);
      expect(refused.body.detail).toContain('does not exist or is not visible to this API key');
      expect((await scheduler.request('GET', `/runs/${runId}`)).status).toBe(404);
      expect(await phaseEvents(runId)).toEqual([]);
    }
  });

  it('a scheduler key limited to dev cannot start a run of a prod stack', async () => {
    const prodStack = await stackIn('prod-payments', 'prod');
    const runId = ulid();
    const refused = await startRun(
      devScheduler,
      { runId, callerId: prodStack },
      await generateSealingKeyPair(),
    );

    expect([refused.status, refused.body.code]).toEqual([404, 'NOT_FOUND']);
    expect(refused.body.detail).not.toContain('prod');
    expect(await phaseEvents(runId)).toEqual([]);
  });

  it('refuses account, spaceId and at in the body with a 400 naming the field, on create and on a phase change', async () => {
    const devStack = await stackIn('dev-forger', 'dev');
    const keys = await generateSealingKeyPair();
    for (const forged of [{ account: 'globex' }, { spaceId: 'prod' }, { at: '2000-01-01T00:00:00.000Z' }]) {
      const runId = ulid();
      const refused = await startRun(devScheduler, { runId, callerId: devStack, ...forged }, keys);
      expect([refused.status, refused.body.code, refused.body.issues?.map((i) => i.path)]).toEqual([
        400,
        'VALIDATION_FAILED',
        Object.keys(forged),
      ]);
      expect(await phaseEvents(runId)).toEqual([]);
    }
    const run = await startRun(devScheduler, { callerId: devStack }, keys);
    for (const forged of [{ spaceId: 'prod' }, { account: 'globex' }, { at: '2099-01-01T00:00:00.000Z' }]) {
      const refused = await enter(devScheduler, run.body.id, { phase: 'INITIALIZING', ...forged });
      expect([refused.status, refused.body.issues?.map((i) => i.path)]).toEqual([400, Object.keys(forged)]);
    }
    expect((await devScheduler.request<RunView>('GET', `/runs/${run.body.id}`)).body.phase).toBe('QUEUED');
  });

  it("publishes the registry's account, space and caller and the server's time on runs.v1.phase", async () => {
    const callerId = await stackIn('dev-honest', 'dev');
    const keys = await generateSealingKeyPair();
    const before = Date.now();
    const run = await startRun(devScheduler, { caller: { type: 'stack', slug: 'dev-honest' } }, keys);
    expect(run.status).toBe(201);
    expect((await enter(devScheduler, run.body.id, { phase: 'INITIALIZING' })).status).toBe(200);
    const after = Date.now();

    const events = await until(
      () => phaseEvents(run.body.id),
      (e) => e.length === 2,
    );
    expect(events.map((e) => e.phase)).toEqual(['QUEUED', 'INITIALIZING']);
    for (const event of events) {
      expect(event).toMatchObject({
        account: 'acme',
        spaceId: 'dev',
        caller: { type: 'stack', id: callerId, slug: 'dev-honest' },
        workerId: 'worker-attacker',
        workerPublicKey: keys.publicJwk,
      });
      expect(Date.parse(event.at)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(event.at)).toBeLessThanOrEqual(after + 1000);
    }
  });
});

describe('autoattach escape', () => {
  it('a dev-limited admin labelling its caller like a root integration gets no attachment and no credentials from it', async () => {
    const root = await stack.api.request<{ id: string }>('POST', '/integrations', {
      name: 'root-deploy',
      roleArn: DEMO_ROLE,
      durationSeconds: 900,
      labels: ['autoattach:deploy'],
    });
    expect(root.status).toBe(201);
    const sneaky = await devAdmin.request<{ id: string }>('POST', '/callers', {
      type: 'stack',
      slug: 'sneaky',
      spaceId: 'dev',
      labels: ['deploy'],
    });
    expect(sneaky.status).toBe(201);
    // The label does attach for the account-wide admin: the setup is one autoattach would use.
    const honest = await stack.api.request<{ id: string }>('POST', '/callers', {
      type: 'stack',
      slug: 'honest-deploy',
      spaceId: 'dev',
      labels: ['deploy'],
    });
    const attachedTo = async (callerId: string) =>
      (
        await stack.api.request<{ items: Array<{ integrationId: string }> }>(
          'GET',
          `/attachments?callerId=${callerId}`,
        )
      ).body.items.map((a) => a.integrationId);
    expect(await attachedTo(honest.body.id)).toEqual([root.body.id]);
    expect(await attachedTo(sneaky.body.id)).toEqual([]);

    const runId = ulid();
    expect(await refusedRun({ runId, callerId: sneaky.body.id, slug: 'sneaky' })).toContain(
      `no integration attached for scope read to stack sneaky (${sneaky.body.id})`,
    );
    expect(await credentialEvents('issued', runId)).toEqual([]);
  });
});

describe('after the run ends', () => {
  let keys: SealingKeyPair;
  let integrationId: string;
  let callerId: string;

  beforeAll(async () => {
    keys = await generateSealingKeyPair();
    const registered = await stack.register(['platform'], 'ended');
    callerId = registered.callerId;
    integrationId = registered.integrations[0]!.id;
  });

  /** A run through the REST API with the attacker's worker key, in PLANNING with its delivery opened. */
  async function planningRun(): Promise<string> {
    const run = await startRun(scheduler, { callerId }, keys);
    expect((await enter(scheduler, run.body.id, { phase: 'PLANNING' })).status).toBe(200);
    const [delivery] = await until(
      () => stack.streamMessages('DELIVERIES', `deliveries.v1.worker-attacker.${run.body.id}`),
      (d) => d.length > 0,
    );
    const sealed = (JSON.parse(delivery!.data) as { sealed: string }).sealed;
    expect(await open(sealed, keys.privateKey, deliveryPlaintextSchema)).toMatchObject({ mode: 'platform' });
    return run.body.id;
  }

  it('a finished run cannot go back to PLANNING (409, nothing published, no new credentials)', async () => {
    const runId = await planningRun();
    expect((await enter(scheduler, runId, { phase: 'FINISHED' })).status).toBe(200);
    await until(
      () => phaseEvents(runId),
      (e) => e.length === 3,
    );

    const again = await enter(scheduler, runId, { phase: 'PLANNING' });
    expect([again.status, again.body.code]).toEqual([409, 'CONFLICT']);
    expect(again.body.detail).toBe(`run ${runId} is FINISHED, which is final: it cannot enter PLANNING`);
    const futureAt = await enter(scheduler, runId, { phase: 'PLANNING', at: '2099-01-01T00:00:00.000Z' });
    expect([futureAt.status, futureAt.body.issues?.map((i) => i.path)]).toEqual([400, ['at']]);
    expect((await scheduler.request<RunView>('GET', `/runs/${runId}`)).body).toMatchObject({
      phase: 'FINISHED',
      nextPhases: [],
    });

    await brokerCaughtUp();
    expect((await phaseEvents(runId)).map((e) => e.phase)).toEqual(['QUEUED', 'PLANNING', 'FINISHED']);
    expect((await credentialEvents('issued', runId)).map((e) => e.phase)).toEqual(['PLANNING']);
  });

  it('refresh, as runtrail exec asks for it, is granted while the run is active and refused once it FINISHED', async () => {
    const runId = await planningRun();
    // As a worker asks: the pool's own NATS user, not the operator's connection.
    const worker = await stack.busAs(WORKER_POOL);
    const refresh = () =>
      worker.request(CredentialsRefreshRequest, {
        runId,
        workerId: 'worker-attacker',
        integrationId,
        workerPublicKey: keys.publicJwk,
      });
    expect(await open((await refresh()).sealed, keys.privateKey, deliveryPlaintextSchema)).toMatchObject({
      mode: 'platform',
    });

    expect((await enter(scheduler, runId, { phase: 'FINISHED' })).status).toBe(200);
    // The broker learns of FINISHED through JetStream: ask until it has.
    const outcome = await until(
      () =>
        refresh().then(
          () => 'granted' as const,
          (error: { code: string; message: string }) => error,
        ),
      (o) => o !== 'granted',
    );
    expect(outcome).toMatchObject({
      code: 'RUN_NOT_ACTIVE',
      message: `run ${runId} is FINISHED: it gets no more credentials`,
    });
  });
});

describe('issuance for an unhealthy integration', () => {
  it('a role made unsafe after it was attached is found unhealthy by verify, and a run gets no credentials from it', async () => {
    const roleName = `runtrail-loosened-${ulid()}`;
    const roleArn = await stack.iam.createPlatformRole(roleName, 3600);
    const callerId = await stack.api.registerStack('loosened');
    const created = await stack.api.createIntegration({
      name: 'loosened',
      roleArn,
      mode: 'platform',
      durationSeconds: 900,
      region: 'us-east-1',
      sessionTagging: false,
    });
    await stack.api.attach(created.id, callerId);
    // The customer loosens the trust: runtrail's account, no external id required.
    const loosened = await stack.awsCli([
      ...['iam', 'update-assume-role-policy', '--role-name', roleName, '--policy-document'],
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${PLATFORM_ACCOUNT}:root` },
            Action: 'sts:AssumeRole',
          },
        ],
      }),
    ]);
    expect(loosened).toMatchObject({ code: 0 });
    const verified = await stack.api.request<{ integration: { healthy: boolean; healthReasons: unknown[] } }>(
      'POST',
      `/integrations/${created.id}/verify`,
    );
    expect(verified.status).toBe(200);
    expect(verified.body.integration.healthy).toBe(false);

    const runId = ulid();
    const stderr = await refusedRun({ runId, callerId, slug: 'loosened', runType: 'PROPOSED' });
    expect(stderr).toContain(`(${created.id}) failed re-verification`);
    expect(stderr).toContain(`POST /v1/integrations/${created.id}/verify`);
    const failed = await until(
      () => credentialEvents('failed', runId),
      (f) => f.length > 0,
    );
    expect(failed[0]).toMatchObject({ code: 'UNSAFE_TRUST_POLICY' });
    expect(await credentialEvents('issued', runId)).toEqual([]);
    // Refused before STS: the role was never assumed for this run.
    const assumed = stack.emulator
      .events(CUSTOMER)
      .filter(
        (e) => e.eventName === 'AssumeRole' && JSON.stringify(e.requestParameters ?? {}).includes(runId),
      );
    expect(assumed).toEqual([]);
  });
});

describe('JWKS row tampering', () => {
  const sqlite = (sql: string): string => {
    const result = spawnSync(
      'sqlite3',
      ['-cmd', '.timeout 5000', join(stack.dataDir, 'oidc-issuer.sqlite'), sql],
      {
        encoding: 'utf8',
      },
    );
    if (result.status !== 0) throw new Error(`sqlite3: ${result.stderr}`);
    return result.stdout.trim();
  };

  it('a signing key written into the database without the KEK is never published, and OIDC issuance still works', async () => {
    const { callerId, slug } = await stack.register(['oidc'], 'jwks-victim');
    const discovery = (await (
      await fetch(`${stack.oidcPublicUrl}/oidc/acme/.well-known/openid-configuration`)
    ).json()) as { jwks_uri: string };
    const jwks = async () =>
      ((await (await fetch(discovery.jwks_uri)).json()) as { keys: Array<{ kid: string }> }).keys.map(
        (k) => k.kid,
      );
    const genuine = await jwks();
    expect(genuine.length).toBeGreaterThan(0);

    // Two foreign keys: one with the active row's MAC copied, one pretending to predate MACs.
    const alg = sqlite("select alg from oidc_signing_key where status = 'active'");
    const forged: string[] = [];
    for (const mac of ['integrity_mac', 'null']) {
      const { publicKey } = await generateKeyPair(alg, { extractable: true });
      const jwk = { ...(await exportJWK(publicKey)), alg, use: 'sig' };
      const kid = await calculateJwkThumbprint(jwk, 'sha256');
      const publicJwk = JSON.stringify({ ...jwk, kid }).replace(/'/g, "''");
      sqlite(
        'insert into oidc_signing_key (kid, alg, status, public_jwk, encrypted_private_key, kek_id, created_at, activated_at, retired_at, unpublish_at, integrity_mac) ' +
          `select '${kid}', alg, 'retired', '${publicJwk}', encrypted_private_key, kek_id, created_at, activated_at, created_at, ` +
          `case typeof(created_at) when 'integer' then created_at + 30 * 86400000 else strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+30 days') end, ${mac} ` +
          "from oidc_signing_key where status = 'active'",
      );
      forged.push(kid);
    }
    // The issuer re-reads its keys every 30 s and logs each refused kid once: wait for both.
    await until(
      async () => stack.issuer.text,
      (log) => forged.every((kid) => log.includes(`signing key ${kid}`)),
      45_000,
    );
    expect(stack.issuer.text).toContain(`signing key ${forged[0]} fails its integrity check`);
    expect(stack.issuer.text).toContain(
      `signing key ${forged[1]} has no integrity MAC and its private key does not prove it`,
    );

    const published = await jwks();
    // Still there (not unpublished as expired): refused for what they are, not gone.
    expect(sqlite(`select count(*) from oidc_signing_key where kid in ('${forged.join("','")}')`)).toBe('2');
    expect(published).toEqual(genuine);
    for (const kid of forged) expect(published).not.toContain(kid);
    const result = await stack.execRun({ runId: ulid(), callerId, slug, runType: 'TASK' }, [
      '/usr/bin/aws',
      ...['--endpoint-url', stack.emulator.endpoint, 'sts', 'get-caller-identity', '--output', 'json'],
    ]);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(JSON.parse(result.stdout)).toMatchObject({
      Arn: expect.stringContaining(`:assumed-role/runtrail-oidc/`),
    });
  }, 90_000);
});
