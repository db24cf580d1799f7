import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { setupJetStream } from '@runtrail/nats-setup';
import { startNatsCluster, type NatsCluster } from './nats-cluster';

let cluster: NatsCluster;

beforeAll(async () => {
  cluster = await startNatsCluster();
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

it('runs three clustered JetStream nodes with the shipped users, streams at 3 replicas, and elects a new meta leader when the leader is killed', async () => {
  const { NATS_USER, NATS_PASSWORD } = cluster.login('runtrail-admin');
  const nc = await connect({ servers: cluster.url.split(','), user: NATS_USER, pass: NATS_PASSWORD, name: 'cluster-spec' });
  try {
    await setupJetStream(nc, { replicas: 3 });
    const jsm = await jetstreamManager(nc);
    const runs = await jsm.streams.info('RUNS');
    expect(runs.config.num_replicas).toBe(3);
    expect(1 + (runs.cluster?.replicas?.length ?? 0)).toBe(3);

    const leader = await cluster.metaLeader();
    await cluster.kill(leader);
    expect(leader.running()).toBe(false);
    await cluster.waitHealthy();
    const next = await cluster.metaLeader();
    expect(next.name).not.toBe(leader.name);
    // Still writable with one node down: the streams keep a quorum of 2 of 3.
    await cluster.start(leader);
    await cluster.waitHealthy();
    expect(cluster.nodes.every((n) => n.running())).toBe(true);
  } finally {
    await nc.close();
  }
}, 90_000);
