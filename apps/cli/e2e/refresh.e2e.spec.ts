import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CredentialsIssuedEvent,
  CredentialsRefreshRequest,
  DeliveryEvent,
  RunPhaseChangedEvent,
  credentialsIssuedSchema,
  deliveryPlaintextSchema,
  type CredentialsIssued,
  type Phase,
} from '@runtrail/contracts';
import { generateSealingKeyPair, open, type SealingKeyPair } from '@runtrail/sealing';
import { ulid } from 'ulid';
import { E2eStack, WORKER_ID, WORKER_POOL } from './support/stack.harness';
import { ROOT } from './support/service.process';

// Long runs: refresh through the broker, the container endpoint across an expiry, and refusal
// once the run is over.
let stack: E2eStack;

beforeAll(async () => {
  const build = spawnSync(process.execPath, ['tools/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
  // The real integrations service: exec --publish-phases drives runs through its runs API.
  stack = await E2eStack.start({ integrations: 'real' });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** Collects `credentials.v1.issued` for one run as they are published. */
function watchIssued(runId: string): {
  events: CredentialsIssued[];
  next(refresh: number, timeoutMs?: number): Promise<CredentialsIssued>;
} {
  const events: CredentialsIssued[] = [];
  stack.nc.subscribe(CredentialsIssuedEvent.name, {
    callback: (_e, msg) => {
      const event = credentialsIssuedSchema.parse(msg.json());
      if (event.runId === runId) events.push(event);
    },
  });
  return {
    events,
    async next(refresh, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find((e) => e.refresh === refresh);
        if (found) return found;
        if (Date.now() > deadline)
          throw new Error(`no issued event with refresh ${refresh}: ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

describe('refreshing credentials', () => {
  it("keeps the SDK's container credentials working across an expiry, because the endpoint refreshed", async () => {
    const { callerId } = await stack.register(['platform'], 'network');
    const runId = ulid();
    const issued = watchIssued(runId);
    const go = join(stack.dataDir, `go-${runId}`);
    const running = stack.exec(
      [
        ...[
          '--run',
          runId,
          '--worker',
          WORKER_ID,
          '--publish-phases',
          '--account',
          'acme',
          '--stack',
          callerId,
          '--caller-slug',
          'network',
        ],
        ...['--run-type', 'TASK', '--container-only', '--refresh-lead', '890', '--timeout', '20'],
        '--',
        process.execPath,
        join(__dirname, 'fixtures/expiry-child.js'),
        go,
      ],
      { HOME: stack.dataDir },
    );
    // 900 s sessions refreshed 890 s before expiry: the second session comes ~10 s after the first.
    const first = await issued.next(0);
    const second = await issued.next(1);
    // Move AWS's clock between the two expiries: the first session is expired, the refreshed one is not.
    const target = (Date.parse(first.expiresAt) + Date.parse(second.expiresAt)) / 2;
    stack.clock.offsetMs = target - Date.now();
    writeFileSync(go, '');
    const result = await running;
    stack.clock.offsetMs = 0;

    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const line = (name: string) =>
      JSON.parse(result.stdout.match(new RegExp(`^${name} (.*)$`, 'm'))?.[1] ?? 'null') as Record<
        string,
        unknown
      >;
    expect(line('first')).toMatchObject({ ok: true, accessKeyId: first.accessKeyId });
    expect(line('second')).toMatchObject({
      ok: true,
      accessKeyId: second.accessKeyId,
      arn: expect.stringContaining(`/runtrail-demo/${runId}@`),
    });
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    expect(line('stale')).toEqual({ ok: false, error: 'ExpiredToken' });
  }, 90_000);

  describe('answered by the broker to the run worker, while the run is active', () => {
    let keys: SealingKeyPair;
    let runId: string;
    let integrationId: string;
    let callerId: string;

    // The run event as the runs API's service user (the only one that may publish it); the
    // refresh request as the worker pool's user, as `runtrail exec` asks.
    const enter = async (phase: Phase) =>
      (await stack.busAs('integrations')).publish(RunPhaseChangedEvent, {
        runId,
        account: 'acme',
        spaceId: 'root',
        caller: { type: 'stack', id: callerId, slug: 'network-refresh' },
        runType: 'TRACKED',
        phase,
        workerId: 'worker-refresh',
        workerPublicKey: keys.publicJwk,
        at: new Date().toISOString(),
      });
    const refresh = async (workerPublicKey = keys.publicJwk) =>
      (await stack.busAs(WORKER_POOL)).request(CredentialsRefreshRequest, {
        runId,
        workerId: 'worker-refresh',
        integrationId,
        workerPublicKey,
      });

    beforeAll(async () => {
      keys = await generateSealingKeyPair();
      runId = ulid();
      // The run event stands in for the runs API (this suite holds the worker's key itself).
      const caller = await stack.register(['platform'], 'network-refresh');
      callerId = caller.callerId;
      integrationId = caller.integrations[0]!.id;
      const issued = watchIssued(runId);
      await enter('APPLYING');
      await issued.next(0);
    });

    it('re-assumes and seals fresh credentials to the run key', async () => {
      const [delivery] = await stack.streamMessages(
        'DELIVERIES',
        DeliveryEvent.subject({ workerId: 'worker-refresh', runId } as never),
      );
      const initial = await open(
        JSON.parse(delivery!.data).sealed as string,
        keys.privateKey,
        deliveryPlaintextSchema,
      );
      const reply = await refresh();
      const fresh = await open(reply.sealed, keys.privateKey, deliveryPlaintextSchema);

      expect(fresh).toMatchObject({
        mode: 'platform',
        assumedRoleArn: expect.stringContaining(`/runtrail-demo/${runId}@network-refresh@acme`),
      });
      expect(
        fresh.mode === 'platform' && initial.mode === 'platform' && fresh.accessKeyId !== initial.accessKeyId,
      ).toBe(true);
    });

    it("refuses a key other than the run's", async () => {
      const other = await generateSealingKeyPair();
      await expect(refresh(other.publicJwk)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    });

    it('refuses with RUN_NOT_ACTIVE once the run finished', async () => {
      await enter('FINISHED');
      // The broker learns of FINISHED through JetStream, asynchronously: ask until it has.
      const deadline = Date.now() + 10_000;
      let outcome: unknown = 'granted';
      while (outcome === 'granted' && Date.now() < deadline) {
        outcome = await refresh().then(
          () => 'granted',
          (error: { code: string; message: string }) => error,
        );
        if (outcome === 'granted') await new Promise((r) => setTimeout(r, 100));
      }
      expect(outcome).toMatchObject({
        code: 'RUN_NOT_ACTIVE',
        message: `run ${runId} is FINISHED: it gets no more credentials`,
      });
    });
  });
});
