import { AckPolicy, DeliverPolicy, jetstreamManager } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { STREAMS, workerConsumer } from '@runtrail/contracts';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureStreams, ensureWorkerConsumer, WORKER_ACK_WAIT_MS } from './jetstream-setup';

// A bare nats-server (libs/testing's depends on this library): JetStream on a random port.
async function startServer(storeDir: string): Promise<{ child: ChildProcess; nc: NatsConnection }> {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  const child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], {
    stdio: 'ignore',
  });
  for (let attempt = 0; ; attempt++) {
    try {
      return { child, nc: await connect({ servers: `127.0.0.1:${port}` }) };
    } catch (error) {
      if (attempt > 50 || child.exitCode !== null) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('ensureWorkerConsumer (a real nats-server)', () => {
  const storeDir = mkdtempSync(join(tmpdir(), 'runtrail-nats-setup-'));
  let child: ChildProcess | undefined;
  let nc: NatsConnection;

  beforeAll(async () => {
    ({ child, nc } = await startServer(storeDir));
    await ensureStreams(nc, [STREAMS.DELIVERIES]);
  });

  afterAll(async () => {
    await nc?.close();
    child?.kill();
    rmSync(storeDir, { recursive: true, force: true });
  });

  const ackWaitOf = async (workerId: string) =>
    (await (await jetstreamManager(nc)).consumers.info(STREAMS.DELIVERIES.name, workerConsumer(workerId).durable)).config
      .ack_wait;

  it('makes the worker’s consumer with the short ack wait, and leaves it as it is on the next run', async () => {
    expect(await ensureWorkerConsumer(nc, 'w-new')).toBe('consumer DELIVERIES/worker_w-new (deliveries.v1.w-new.>): ready');
    expect(await ackWaitOf('w-new')).toBe(nanos(WORKER_ACK_WAIT_MS));
    expect(await ensureWorkerConsumer(nc, 'w-new')).toMatch(/^consumer DELIVERIES\/worker_w-new.*: (exists|ready)$/);
    expect(await ackWaitOf('w-new')).toBe(nanos(WORKER_ACK_WAIT_MS));
  });

  it('sets the ack wait of a consumer an older setup made with 30 s: a lost ack no longer holds a run’s credentials 30 s', async () => {
    const { durable, filter } = workerConsumer('w-old');
    await (await jetstreamManager(nc)).consumers.add(STREAMS.DELIVERIES.name, {
      durable_name: durable,
      filter_subject: filter,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(30_000),
      max_ack_pending: 1000,
    });
    // nats-server 2.9 applies the new ack wait on create; a server that refuses a create of an
    // existing consumer with another config gets it through an update.
    expect(await ensureWorkerConsumer(nc, 'w-old')).toMatch(/^consumer DELIVERIES\/worker_w-old.*: (ready|exists, ack wait set to 10 s)$/);
    expect(await ackWaitOf('w-old')).toBe(nanos(WORKER_ACK_WAIT_MS));
  });
});
