#!/usr/bin/env node
// Live check of auth.conf: connects to a running NATS (cluster) once per user and plays the main
// flow with runtrail's own code (dist/libs/nats-setup: the operator's setup step as runtrail-admin;
// dist/libs/messaging: the JetStream transport's durable consumers under the services' pinned
// names, responders and dead-lettering, the typed MessageBus; audit's KV lease from
// dist/libs/audit; the worker's DeliveryInbox from dist/apps/cli), then tries what each user must
// NOT be able to do. Exits 1 on any missing permission or any leak.
//
//   npm run build            # the script loads dist/libs/{contracts,messaging,nats-setup,audit}, dist/apps/cli
//   NATS_URL=nats://127.0.0.1:4222 NATS_PASSWORD_<USER>=... node deploy/nats/permissions-smoke.mjs
//
// Every NATS_PASSWORD_* variable of auth.conf must hold the password that server was started
// with. NATS_STREAM_REPLICAS (default 3) is the stream replica count to create and expect. It
// runs the setup step (streams, KV bucket, consumer worker_worker-01) and plays runs of worker
// worker-01 of pool worker-pool-default; run it against a scratch cluster.
import { createRequire } from 'node:module';
import { generateKeyPairSync } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(root, 'package.json'));
require('reflect-metadata');
const { connect } = require('@nats-io/transport-node');
const { jetstreamManager } = require('@nats-io/jetstream');
const { ulid } = require('ulid');
const C = require(join(root, 'dist/libs/contracts/src/index.js'));
const { JetStreamServer, MessageBus } = require(join(root, 'dist/libs/messaging/src/index.js'));
const { setupJetStream } = require(join(root, 'dist/libs/nats-setup/src/index.js'));
const { generateSealingKeyPair, seal } = require(join(root, 'dist/libs/sealing/src/index.js'));
const { DeliveryInbox } = require(join(root, 'dist/apps/cli/src/exec/delivery-inbox.js'));
const { PollerLease } = require(join(root, 'dist/libs/audit/src/lib/poller/poller-lease.js'));

const servers = (process.env.NATS_URL ?? 'nats://127.0.0.1:4222').split(',');
const replicas = Number(process.env.NATS_STREAM_REPLICAS ?? 3);
const WORKER = 'worker-01';
const POOL = 'worker-pool-default';
const SERVICES = ['integrations', 'verifier', 'credential-broker', 'oidc-issuer', 'audit'];
const failures = [];
const connections = [];

function passwordOf(user) {
  const name = `NATS_PASSWORD_${user.replace(/-/g, '_').toUpperCase()}`;
  const pass = process.env[name];
  if (!pass) throw new Error(`${name} is not set`);
  return pass;
}

/** Connects as `user`, recording every permission violation the server reports. */
async function login(user, inboxPrefix) {
  const nc = await connect({ servers, user, pass: passwordOf(user), name: `smoke-${user}`, inboxPrefix });
  const violations = [];
  (async () => {
    for await (const s of nc.status()) if (s.type === 'error' && s.error?.name === 'PermissionViolationError') violations.push(s.error);
  })();
  connections.push(nc);
  return { nc, user, violations };
}

function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
}

function deferred() {
  let resolve;
  const promise = new Promise((r) => (resolve = r));
  return { promise, resolve };
}

const within = (ms, p, what) =>
  Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))]);

async function expectDone(promise, what, ms = 10_000) {
  try {
    await within(ms, promise, what);
    check(true, what);
  } catch (error) {
    check(false, `${what} (${error.message})`);
  }
}

/** Waits until `login` got a permission violation for `subject`. */
async function expectDenied(login, operation, subject, attempt) {
  const before = login.violations.length;
  try {
    await attempt();
  } catch {
    // a denied request also times out; the violation is what counts
  }
  const until = Date.now() + 2_000;
  while (Date.now() < until && !login.violations.slice(before).some((v) => v.subject === subject)) {
    await new Promise((r) => setTimeout(r, 50));
  }
  check(
    login.violations.slice(before).some((v) => v.subject === subject && v.operation === operation),
    `${login.user} may not ${operation === "subscription" ? "subscribe to" : operation} ${subject}`,
  );
}

async function startServer(login, handlers) {
  const server = new JetStreamServer(login.nc);
  for (const h of handlers) server.addHandler(h.pattern, h.fn, h.event, h.extras);
  await new Promise((resolve, reject) => server.listen((error) => (error ? reject(error) : resolve())));
  return server;
}

const onEvent = (contract, durable, fn) => ({ pattern: contract.pattern, fn, event: true, extras: { contract, consumer: { durable, ackWaitMs: 5_000 } } });
const onRequest = (contract, fn) => ({ pattern: contract.subject, fn, event: false, extras: { contract } });

// ---- fixtures -------------------------------------------------------------------------------
const publicJwk = () => {
  const { kty, crv, x, y } = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  return { kty, crv, x, y };
};
const JWE = 'eyJhbGciOiJFQ0RILUVTK0EyNTZLVyJ9.AAAA.BBBB.CCCC.DDDD';
const now = () => new Date().toISOString();
const later = () => new Date(Date.now() + 3_600_000).toISOString();
const caller = { type: 'stack', id: ulid(), slug: 'prod-vpc' };
const runId = ulid();
const workerKeys = await generateSealingKeyPair();
const integration = {
  id: ulid(),
  account: 'acme',
  name: 'smoke',
  roleArn: 'arn:aws:iam::123456789012:role/runtrail-smoke',
  durationSeconds: 3600,
  region: 'eu-west-1',
  labels: [],
  spaceId: 'root',
  mode: 'platform',
  sessionTagging: false,
  customExternalId: null,
  healthy: true,
  version: 1,
};
const { healthy: _h, version: _v, ...integrationInput } = integration;
const issued = {
  runId,
  account: 'acme',
  spaceId: 'root',
  caller,
  phase: 'PLANNING',
  scope: 'read',
  workerId: WORKER,
  integrationId: integration.id,
  roleArn: integration.roleArn,
  mode: 'platform',
  sessionName: `${runId}@${caller.id}@acme`,
  sourceIdentity: runId,
  externalIdUsed: true,
  accessKeyId: 'ASIASMOKE0000000000',
  assumedRoleArn: 'arn:aws:sts::123456789012:assumed-role/runtrail-smoke/x',
  expiresAt: later(),
  issuedAt: now(),
  refresh: 0,
};

async function main() {
  const seen = {
    brokerGotPhase: deferred(),
    auditGotPhase: deferred(),
    auditGotIssued: deferred(),
    auditGotCloudTrail: deferred(),
  };

  // ---- the operator's setup step: streams, audit's KV bucket, the worker's consumer ------------
  const admin = await login('runtrail-admin');
  await expectDone(setupJetStream(admin.nc, { replicas, workers: [WORKER] }), `runtrail-admin runs the setup step (R${replicas}, consumer worker_${WORKER})`);

  // ---- services, each with its own user and the handlers it has in ARCHITECTURE.md -----------
  const oidc = await login('oidc-issuer', '_INBOX_oidc-issuer');
  const tokenReply = () => ({
    sealedToken: JWE,
    issuer: 'https://runtrail.example.com/oidc/acme',
    audience: 'sts.amazonaws.com',
    subject: 'space:root:stack:x:run_type:TRACKED:scope:read',
    kid: 'k1',
    expiresAt: later(),
  });
  await startServer(oidc, [
    onRequest(C.IssueTokenRequest, tokenReply),
    onRequest(C.IssueTokenBatchRequest, (batch) => ({ items: batch.items.map(() => ({ ok: true, data: tokenReply() })) })),
  ]);

  const verifier = await login('verifier', '_INBOX_verifier');
  const verifierBus = new MessageBus(verifier.nc);
  const issueRequest = { account: 'acme', spaceId: 'root', callerType: 'stack', callerId: caller.id, runType: 'TRACKED', runId, scope: 'read', replyKey: publicJwk() };
  await startServer(verifier, [
    onRequest(C.VerifyRoleRequest, async () => {
      await verifierBus.request(C.IssueTokenRequest, issueRequest);
      return { safe: true, checks: [], explanation: '', suggestedStatement: {}, eventualConsistencySuspected: false };
    }),
  ]);

  const integrations = await login('integrations', '_INBOX_integrations');
  const integrationsBus = new MessageBus(integrations.nc);
  await startServer(integrations, [
    onRequest(C.ResolveIntegrationsRequest, () => ({
      caller: { ...caller, spaceId: 'root', labels: [] },
      integrations: [{ integration, attachmentId: ulid(), externalId: `acme@${integration.id}@prod-vpc@read` }],
    })),
    onRequest(C.AuthenticateApiKeyRequest, () => ({ account: 'acme', role: 'reader', spaceSubtree: null, visibleSpaces: null })),
  ]);

  const broker = await login('credential-broker', '_INBOX_credential-broker');
  const brokerBus = new MessageBus(broker.nc);
  await startServer(broker, [
    onEvent(C.RunPhaseChangedEvent, 'credential-broker', async (event) => {
      const resolved = await brokerBus.request(C.ResolveIntegrationsRequest, { account: event.account, callerType: 'stack', callerId: event.caller.id, scope: 'read' });
      await brokerBus.request(C.IssueTokenRequest, issueRequest);
      const { replyKey, ...tokenItem } = issueRequest;
      await brokerBus.request(C.IssueTokenBatchRequest, { replyKey, items: [tokenItem, tokenItem] });
      for (const { integration: i } of resolved.integrations) {
        const sealed = await seal({ mode: 'platform', accessKeyId: issued.accessKeyId, secretAccessKey: 'smoke-secret', sessionToken: 'smoke-token', expiration: later(), assumedRoleArn: issued.assumedRoleArn, region: 'eu-west-1' }, event.workerPublicKey);
        await brokerBus.publish(C.DeliveryEvent, { runId: event.runId, workerId: event.workerId, phase: event.phase, scope: 'read', integrationId: i.id, mode: 'platform', sealed, expiresAt: later() });
        await brokerBus.publish(C.CredentialsIssuedEvent, issued);
      }
      seen.brokerGotPhase.resolve();
    }),
    onRequest(C.CredentialsRefreshRequest, () => ({ sealed: JWE, expiresAt: later() })),
  ]);

  const audit = await login('audit', '_INBOX_audit');
  const auditBus = new MessageBus(audit.nc);
  await startServer(audit, [
    onEvent(C.RunPhaseChangedEvent, 'audit-runs', () => seen.auditGotPhase.resolve()),
    onEvent(C.CredentialsIssuedEvent, 'audit-credentials-issued', () => seen.auditGotIssued.resolve()),
    onEvent(C.CloudTrailPushedEvent, 'audit-cloudtrail-push', async (batch) => {
      await auditBus.publish(C.FindingRaisedEvent, {
        id: `smoke-${batch.batchId}`,
        kind: 'unissued_assume_role',
        severity: 'high',
        account: null,
        runId: null,
        roleArn: null,
        awsAccountId: null,
        eventId: null,
        message: 'smoke',
        detectedAt: now(),
        details: {},
      });
      seen.auditGotCloudTrail.resolve();
    }),
  ]);
  check(true, 'every service found the streams and created its pinned consumers and its responders');

  // ---- the flow -------------------------------------------------------------------------------
  await expectDone(
    integrationsBus.request(C.VerifyRoleRequest, { integration: integrationInput }),
    'integrations -> verifier.v1.verify -> (verifier -> oidc.v1.issue) answered',
  );
  await expectDone(integrationsBus.publish(C.IntegrationChangedEvent, { type: 'created', integration }), 'integrations publishes integrations.v1.created');
  await expectDone(
    integrationsBus.publish(C.IntegrationHealthChangedEvent, { type: 'health', integrationId: integration.id, account: 'acme', healthy: true, reasons: [], checkedAt: now() }),
    'integrations publishes integrations.v1.health',
  );
  await expectDone(
    auditBus.request(C.AuthenticateApiKeyRequest, { keyId: ulid(), secretSha256: 'a'.repeat(64) }),
    'audit -> integrations.v1.authenticate answered',
  );
  const lease = await PollerLease.open(audit.nc, '123456789012.us-east-1', 'smoke-a', 10_000, replicas);
  const standby = await PollerLease.open(audit.nc, '123456789012.us-east-1', 'smoke-b', 10_000, replicas);
  check((await lease.acquire()) && (await lease.renew()), 'audit creates the KV bucket audit_poller_leases, takes and renews a lease');
  check(!(await standby.acquire()), 'a second holder cannot take a held lease');
  await lease.release();
  check(await standby.acquire(), 'after release the standby takes the lease');
  await standby.release();

  // The worker waits first (its consumer exists already, so it would not miss an earlier delivery).
  const worker = await login(POOL, `_INBOX_${POOL}`);
  const inbox = new DeliveryInbox(worker.nc, runId, WORKER, workerKeys);
  await expectDone(inbox.start(), `${POOL} opens the consumer worker_${WORKER} (INFO, pull)`);
  await expectDone(
    integrationsBus.publish(C.RunPhaseChangedEvent, { runId, account: 'acme', spaceId: 'root', caller, runType: 'TRACKED', phase: 'PLANNING', workerId: WORKER, workerPublicKey: workerKeys.publicJwk, at: now() }),
    'integrations (the runs front door) publishes runs.v1.phase.<runId>',
  );
  await expectDone(seen.brokerGotPhase.promise, 'credential-broker consumes runs.v1.phase, resolves, asks oidc (one token and a batch), publishes delivery + credentials.v1.issued');
  await expectDone(seen.auditGotPhase.promise, 'audit consumes runs.v1.phase');
  await expectDone(seen.auditGotIssued.promise, 'audit consumes credentials.v1.issued');

  const bridge = await login('cloudtrail-bridge', '_INBOX_cloudtrail_bridge');
  const bridgeBus = new MessageBus(bridge.nc);
  await expectDone(bridgeBus.publish(C.CloudTrailPushedEvent, { batchId: ulid(), source: 'smoke', records: [{ eventName: 'AssumeRole' }] }), 'cloudtrail-bridge publishes audit.v1.cloudtrail');
  await expectDone(seen.auditGotCloudTrail.promise, 'audit consumes audit.v1.cloudtrail and publishes audit.v1.finding');

  // A bad payload is dead-lettered by audit's consumer: proves dlq.v1.AUDIT.> publish.
  const badId = ulid();
  await bridge.nc.request('audit.v1.cloudtrail', 'not json', { timeout: 5_000, headers: msgId(`smoke-bad-${badId}`) });

  // ---- the worker: its own deliveries through the operator-made consumer, and nothing else ------
  await expectDone(inbox.wait('PLANNING', undefined, 10_000), `${POOL} pulls, opens and acks its sealed delivery (DeliveryInbox of runtrail exec)`);
  await inbox.stop();
  await expectDone(
    new MessageBus(worker.nc).request(C.CredentialsRefreshRequest, { runId, workerId: WORKER, integrationId: integration.id, workerPublicKey: workerKeys.publicJwk }),
    'worker asks credentials.v1.refresh and gets the answer on its own inbox',
  );
  // exec's direct read of its own run's subjects (any replica answers; DELIVERIES has allow_direct).
  const workerJsm = await jetstreamManager(worker.nc, { checkAPI: false });
  const own = C.runDeliverySubjects(WORKER, runId);
  await expectDone(
    workerJsm.direct.getMessage('DELIVERIES', { last_by_subj: own.delivery }).then((m) => {
      if (m?.json().runId !== runId) throw new Error(`read ${m ? m.subject : 'nothing'}`);
    }),
    `${POOL} reads its run's last delivery directly ($JS.API.DIRECT.GET.DELIVERIES.${own.delivery})`,
  );
  // Everything so far is what the services and the worker need: none of it may have been refused.
  const flowViolations = [admin, oidc, verifier, integrations, broker, audit, bridge, worker].flatMap((l) =>
    l.violations.map((v) => `${l.user}: ${v.message}`),
  );
  check(flowViolations.length === 0, `no user hit a permission it needs${flowViolations.length ? `: ${flowViolations.join('; ')}` : ''}`);

  const durable = `worker_${WORKER}`;
  const ownCreate = `$JS.API.CONSUMER.CREATE.DELIVERIES.${durable}.deliveries.v1.${WORKER}.>`;
  await expectDenied(worker, 'publish', ownCreate, () => worker.nc.request(ownCreate, '{}', { timeout: 1_000 }));
  const otherFilter = `$JS.API.CONSUMER.CREATE.DELIVERIES.snoop.deliveries.v1.>`;
  await expectDenied(worker, 'publish', otherFilter, () => worker.nc.request(otherFilter, '{}', { timeout: 1_000 }));
  await expectDenied(worker, 'publish', '$JS.API.CONSUMER.MSG.NEXT.DELIVERIES.worker_OTHER', async () =>
    worker.nc.publish('$JS.API.CONSUMER.MSG.NEXT.DELIVERIES.worker_OTHER', '{}'),
  );
  await expectDenied(worker, 'subscription', 'deliveries.v1.>', async () => worker.nc.subscribe('deliveries.v1.>'));
  await expectDenied(worker, 'subscription', 'credentials.v1.failed', async () => worker.nc.subscribe('credentials.v1.failed'));
  await expectDenied(worker, 'subscription', '_INBOX.>', async () => worker.nc.subscribe('_INBOX.>'));
  await expectDenied(worker, 'publish', 'runs.v1.phase.x', async () => worker.nc.publish('runs.v1.phase.x', '{}'));
  await expectDenied(worker, 'publish', 'integrations.v1.resolve', () => worker.nc.request('integrations.v1.resolve', '{}', { timeout: 1_000 }));
  await expectDenied(worker, 'publish', '$JS.API.CONSUMER.MSG.NEXT.RUNS.credential-broker', async () =>
    worker.nc.publish('$JS.API.CONSUMER.MSG.NEXT.RUNS.credential-broker', '{}'),
  );
  await expectDenied(worker, 'publish', '$JS.API.STREAM.MSG.GET.DELIVERIES', async () => worker.nc.publish('$JS.API.STREAM.MSG.GET.DELIVERIES', '{}'));
  // Direct reads: only by subject, only its own workers' subjects.
  const otherDirect = `$JS.API.DIRECT.GET.DELIVERIES.deliveries.v1.worker-OTHER.${runId}`;
  await expectDenied(worker, 'publish', otherDirect, () => worker.nc.request(otherDirect, '', { timeout: 1_000 }));
  await expectDenied(worker, 'publish', '$JS.API.DIRECT.GET.DELIVERIES', () =>
    worker.nc.request('$JS.API.DIRECT.GET.DELIVERIES', JSON.stringify({ last_by_subj: 'deliveries.v1.worker-OTHER.x' }), { timeout: 1_000 }),
  );
  await expectDenied(audit, 'publish', `$JS.API.DIRECT.GET.DELIVERIES.${own.delivery}`, () =>
    audit.nc.request(`$JS.API.DIRECT.GET.DELIVERIES.${own.delivery}`, '', { timeout: 1_000 }),
  );

  // ---- no service user administers streams: no create, update (sources, republish), delete ------
  // standalone (npm start's single process) holds the union of the five: no stream admin either.
  const standalone = await login('standalone', '_INBOX_standalone');
  const users = { integrations, verifier, 'credential-broker': broker, 'oidc-issuer': oidc, audit, standalone };
  const snoop = { name: 'SNOOP', subjects: ['snoop.>'], sources: [{ name: 'DELIVERIES' }] };
  const republish = { ...C.STREAMS.DELIVERIES, name: 'DELIVERIES', subjects: ['deliveries.v1.>'], republish: { src: '>', dest: 'snoop.>' } };
  const sources = { name: 'RUNS', subjects: ['runs.v1.>'], sources: [{ name: 'AUDIT' }] };
  for (const name of [...SERVICES, 'standalone']) {
    const u = users[name];
    const ask = (subject, body) => () => u.nc.request(subject, JSON.stringify(body), { timeout: 1_000 });
    await expectDenied(u, 'publish', '$JS.API.STREAM.CREATE.SNOOP', ask('$JS.API.STREAM.CREATE.SNOOP', snoop));
    await expectDenied(u, 'publish', '$JS.API.STREAM.UPDATE.DELIVERIES', ask('$JS.API.STREAM.UPDATE.DELIVERIES', republish));
    await expectDenied(u, 'publish', '$JS.API.STREAM.UPDATE.RUNS', ask('$JS.API.STREAM.UPDATE.RUNS', sources));
    await expectDenied(u, 'publish', '$JS.API.STREAM.DELETE.RUNS', ask('$JS.API.STREAM.DELETE.RUNS', {}));
    await expectDenied(u, 'publish', '$JS.API.STREAM.PURGE.DELIVERIES', ask('$JS.API.STREAM.PURGE.DELIVERIES', {}));
    await expectDenied(u, 'publish', '$JS.API.CONSUMER.CREATE.DELIVERIES.snoop.deliveries.v1.>', ask('$JS.API.CONSUMER.CREATE.DELIVERIES.snoop.deliveries.v1.>', {}));
    if (name !== 'integrations' && name !== 'standalone') await expectDenied(u, 'publish', 'runs.v1.phase.x', async () => u.nc.publish('runs.v1.phase.x', '{}'));
  }
  await expectDenied(audit, 'publish', '$JS.API.STREAM.UPDATE.KV_audit_poller_leases', async () => audit.nc.publish('$JS.API.STREAM.UPDATE.KV_audit_poller_leases', '{}'));
  // A pinned durable name: audit cannot pull the broker's consumer, nor make one under another name.
  await expectDenied(audit, 'publish', '$JS.API.CONSUMER.MSG.NEXT.RUNS.credential-broker', async () => audit.nc.publish('$JS.API.CONSUMER.MSG.NEXT.RUNS.credential-broker', '{}'));
  await expectDenied(broker, 'publish', '$JS.API.CONSUMER.CREATE.RUNS.other.runs.v1.phase.*', async () => broker.nc.publish('$JS.API.CONSUMER.CREATE.RUNS.other.runs.v1.phase.*', '{}'));
  const streamsAfter = await (await jetstreamManager(admin.nc)).streams.info('DELIVERIES');
  check(!streamsAfter.config.republish && !(await (await jetstreamManager(admin.nc)).streams.info('RUNS')).config.sources, 'DELIVERIES has no republish and RUNS no sources afterwards');

  // ---- services and outside clients: a few things each must not do -----------------------------
  await expectDenied(verifier, 'publish', 'oidc.v1.issue.batch', () => verifier.nc.request('oidc.v1.issue.batch', '{}', { timeout: 1_000 }));
  await expectDenied(verifier, 'publish', 'deliveries.v1.x.y', async () => verifier.nc.publish('deliveries.v1.x.y', '{}'));
  await expectDenied(oidc, 'publish', 'credentials.v1.issued', async () => oidc.nc.publish('credentials.v1.issued', '{}'));
  await expectDenied(integrations, 'subscription', 'runs.v1.>', async () => integrations.nc.subscribe('runs.v1.>'));
  await expectDenied(verifier, 'publish', 'integrations.v1.health', async () => verifier.nc.publish('integrations.v1.health', '{}'));
  await expectDenied(audit, 'publish', 'integrations.v1.created', async () => audit.nc.publish('integrations.v1.created', '{}'));
  await expectDenied(audit, 'publish', '$JS.API.CONSUMER.MSG.NEXT.DELIVERIES.x', async () => audit.nc.publish('$JS.API.CONSUMER.MSG.NEXT.DELIVERIES.x', '{}'));
  await expectDenied(bridge, 'publish', 'audit.v1.finding', async () => bridge.nc.publish('audit.v1.finding', '{}'));
  await expectDenied(bridge, 'publish', 'runs.v1.phase.x', async () => bridge.nc.publish('runs.v1.phase.x', '{}'));

  // ---- operator view: replicas and the dead letter ------------------------------------------------
  const jsm = await jetstreamManager(admin.nc);
  for (const name of Object.keys(C.STREAMS)) {
    const info = await jsm.streams.info(name);
    check(info.config.num_replicas === replicas, `stream ${name} has ${info.config.num_replicas} replica(s)`);
  }
  const deadline = Date.now() + 10_000;
  let dead = null;
  while (!dead && Date.now() < deadline) {
    dead = await jsm.streams.getMessage('DLQ', { last_by_subj: 'dlq.v1.AUDIT.audit-cloudtrail-push' }).catch(() => null);
    if (!dead) await new Promise((r) => setTimeout(r, 200));
  }
  check(dead?.json().code === 'VALIDATION_FAILED', 'audit dead-letters a bad payload on dlq.v1.AUDIT.<consumer>');

}

function msgId(id) {
  const { headers } = require('@nats-io/transport-node');
  const h = headers();
  h.set('Nats-Msg-Id', id);
  return h;
}

try {
  await main();
} catch (error) {
  check(false, `unexpected error: ${error.stack ?? error}`);
} finally {
  await Promise.allSettled(connections.map((nc) => nc.close()));
}
console.log(failures.length ? `\n${failures.length} check(s) failed` : '\nall permission checks passed');
process.exit(failures.length ? 1 : 0);
