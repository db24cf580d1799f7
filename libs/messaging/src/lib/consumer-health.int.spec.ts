import { Controller, type INestMicroservice } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ensureStreams } from '@runtrail/nats-setup';
import { testNatsUrl, uniqueName, until } from '@runtrail/testing';
import { jobStream } from '../spec/job-stream.fixture';
import { ConsumerHealth } from './consumer-health';
import { OnEvent } from './handler-options';
import { JetStreamServer } from './jetstream.server';
import { MessageBus } from './message-bus';

// Readiness of a service's pull consumers on a real nats-server: up while it receives, down and
// named once its consumer is gone (as after a lost leader), up again when it receives once more.
const { stream, streams, job, durable } = jobStream(uniqueName('h'));
const handled: string[] = [];

@Controller()
class Jobs {
  @OnEvent(job, { durable })
  run(@Payload() e: { key: string }) {
    handled.push(e.key);
  }
}

describe('ConsumerHealth on a real nats-server', () => {
  let nc: NatsConnection;
  let app: INestMicroservice;
  const health = new ConsumerHealth();

  beforeAll(async () => {
    nc = await connect({ servers: testNatsUrl() });
    await ensureStreams(nc, Object.values(streams));
    const moduleRef = await Test.createTestingModule({ controllers: [Jobs] }).compile();
    app = moduleRef.createNestMicroservice({ strategy: new JetStreamServer(nc, { streams, health }), logger: false });
    await app.listen();
  });
  afterAll(async () => {
    await app?.close();
    await nc?.drain();
  });

  it('reports a consumer that stopped receiving by name, and clears once it receives again', async () => {
    const bus = new MessageBus(nc);
    await bus.publish(job, { key: 'a' });
    await until(() => handled.includes('a'), { timeoutMs: 20_000, intervalMs: 100 });
    expect(await health.isReady()).toBe(true);

    // The consumer vanishes under the service (what a replica sees while its leader is gone).
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.delete(stream.name, durable);
    await until(async () => !(await health.isReady()), { timeoutMs: 20_000, intervalMs: 100 });
    expect(health.problems()).toEqual([expect.stringMatching(new RegExp(`^consumer ${stream.name}/${durable} stopped receiving \\(`))]);

    // Back (the service re-creates it at its next start; here the operator does): it receives again.
    await jsm.consumers.add(stream.name, { durable_name: durable, ack_policy: AckPolicy.Explicit, filter_subject: job.pattern });
    await bus.publish(job, { key: 'b' });
    await until(() => handled.includes('b'), { timeoutMs: 30_000, intervalMs: 100 });
    expect(await health.isReady()).toBe(true);
  }, 60_000);
});
