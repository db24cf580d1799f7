import { Controller, type INestMicroservice } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { RuntrailError } from '@runtrail/contracts';
import { ensureStreams } from '@runtrail/nats-setup';
import { startTestMetrics, type TestMetrics } from '@runtrail/telemetry';
import { testNatsUrl, uniqueName } from '@runtrail/testing';
import { jobStream } from '../spec/job-stream.fixture';
import { OnEvent } from './handler-options';
import { JetStreamServer } from './jetstream.server';
import { MessageBus } from './message-bus';

// What a service's /metrics says about its JetStream consumers, on a real nats-server.
const { id, stream, streams, job, durable } = jobStream(uniqueName('m'));

let release: () => void = () => undefined;
const gate = new Promise<void>((resolve) => (release = resolve));
let handled = 0;

@Controller()
class Jobs {
  @OnEvent(job, { durable, maxDeliver: 3, ackWaitMs: 30_000 })
  async run(@Payload() e: { key: string }) {
    if (e.key.startsWith('bad')) throw new RuntrailError('NOT_FOUND', `no ${e.key}`);
    await gate;
    handled++;
  }
}

/** The samples of `name` in Prometheus text, as `labels value` strings. */
function samples(text: string, name: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`))
    .map((l) => l.slice(name.length));
}

describe('JetStream consumer metrics', () => {
  let recorded: TestMetrics;
  let nc: NatsConnection;
  let app: INestMicroservice;
  let bus: MessageBus;

  beforeAll(async () => {
    recorded = startTestMetrics();
    nc = await connect({ servers: testNatsUrl() });
    await ensureStreams(nc, Object.values(streams));
    const moduleRef = await Test.createTestingModule({ controllers: [Jobs] }).compile();
    app = moduleRef.createNestMicroservice({ strategy: new JetStreamServer(nc, { streams }), logger: false });
    await app.listen();
    bus = new MessageBus(nc);
  });
  afterAll(async () => {
    release();
    await app?.close();
    await nc?.drain();
    await recorded.shutdown();
  });

  it('reports ack-pending and pending per durable at each collection, and counts dead letters per subject filter', async () => {
    for (const key of ['a', 'b', 'c']) await bus.publish(job, { key });
    const labels = `{messaging_destination_name="${stream.name}",messaging_consumer_group_name="${durable}",otel_scope_name="runtrail"}`;
    let text = '';
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
      text = await recorded.text();
      if (samples(text, 'runtrail_jetstream_consumer_ack_pending').includes(`${labels} 3`)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(samples(text, 'runtrail_jetstream_consumer_ack_pending')).toEqual([`${labels} 3`]);
    expect(samples(text, 'runtrail_jetstream_consumer_pending')).toEqual([`${labels} 0`]);
    expect(samples(text, 'runtrail_jetstream_consumer_redelivered')).toEqual([`${labels} 0`]);

    release();
    await bus.publish(job, { key: 'bad-1' });
    await bus.publish(job, { key: 'bad-2' });
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
      text = await recorded.text();
      if (handled === 3 && samples(text, 'runtrail_messaging_dead_lettered_total').some((l) => l.endsWith(' 2'))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // The pattern, not the message's subject: a subject may carry a run id.
    expect(samples(text, 'runtrail_messaging_dead_lettered_total')).toEqual([
      `{messaging_destination_name="test.${id}.job.*",messaging_consumer_group_name="${durable}",runtrail_error_code="NOT_FOUND",otel_scope_name="runtrail"} 2`,
    ]);
    await new Promise((r) => setTimeout(r, 1_100)); // one CONSUMER.INFO per second at most
    expect(samples(await recorded.text(), 'runtrail_jetstream_consumer_ack_pending')).toEqual([`${labels} 0`]);
  });
});
