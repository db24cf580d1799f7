import { errors } from '@nats-io/transport-node';
import { isLastingJetStreamError, retryJetStream } from './jetstream-retry';
import { ConsumerHealth } from './consumer-health';

describe('retryJetStream', () => {
  it('retries a call that times out during an election until it answers', async () => {
    let calls = 0;
    const lines: string[] = [];
    const value = await retryJetStream(
      async () => {
        calls += 1;
        if (calls < 3) throw new errors.TimeoutError();
        return 'consumer';
      },
      { what: 'consumer RUNS/x', log: (l) => lines.push(l) },
    );
    expect(value).toBe('consumer');
    expect(calls).toBe(3);
    // told once per distinct reason, naming what it waits for
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^consumer RUNS\/x: .*timeout.*retrying/i);
  });

  it('fails after its budget with how long it tried and the last error', async () => {
    let calls = 0;
    const failing = retryJetStream(
      async () => {
        calls += 1;
        throw new Error('jetstream is not enabled');
      },
      { what: 'reading the delivery consumer DELIVERIES/worker_w1', budgetMs: 300 },
    );
    await expect(failing).rejects.toThrow(
      /reading the delivery consumer DELIVERIES\/worker_w1 failed for \d+\.\d s \(\d+ attempts\) while NATS JetStream had no leader or was unreachable; last error: jetstream is not enabled/,
    );
    expect(calls).toBeGreaterThan(1);
  });

  it('does not wait out a permissions violation', async () => {
    let calls = 0;
    const refused = new Error("Permissions Violation for Publish to \"$JS.API.CONSUMER.CREATE.RUNS\"");
    await expect(
      retryJetStream(
        async () => {
          calls += 1;
          throw refused;
        },
        { what: 'consumer RUNS/x' },
      ),
    ).rejects.toBe(refused);
    expect(calls).toBe(1);
    expect(isLastingJetStreamError(refused)).toBe(true);
    expect(isLastingJetStreamError(new errors.TimeoutError())).toBe(false);
  });
});

describe('ConsumerHealth', () => {
  it('reports a consumer that missed its heartbeats or went silent, and clears on the next message', () => {
    const health = new ConsumerHealth(10_000);
    const events: Array<{ type: string }> = [];
    let push: (() => void) | undefined;
    const messages = {
      status: () => ({
        async *[Symbol.asyncIterator]() {
          for (;;) {
            while (events.length) yield events.shift()!;
            await new Promise<void>((r) => (push = r));
          }
        },
      }),
    };
    health.watch('RUNS', 'credential-broker', messages as never);
    expect(health.problems()).toEqual([]);
    // silent for longer than allowed
    expect(health.problems(Date.now() + 11_000)).toEqual([
      expect.stringMatching(/^consumer RUNS\/credential-broker stopped receiving \(no heartbeat for 11 s\)$/),
    ]);
    health.alive('credential-broker');
    expect(health.problems()).toEqual([]);
    void push;
  });

  it('goes down on heartbeats_missed and up on the next heartbeat', async () => {
    const health = new ConsumerHealth(10_000);
    const queue: Array<{ type: string }> = [{ type: 'heartbeats_missed' }];
    let wake: () => void = () => undefined;
    const messages = {
      status: () => ({
        async *[Symbol.asyncIterator]() {
          for (;;) {
            while (queue.length) yield queue.shift()!;
            await new Promise<void>((r) => (wake = r));
          }
        },
      }),
    };
    health.watch('DELIVERIES', 'worker_w1', messages as never);
    await new Promise((r) => setImmediate(r));
    expect(await health.isReady()).toBe(false);
    expect(health.problems()[0]).toMatch(/DELIVERIES\/worker_w1 stopped receiving \(heartbeats_missed/);
    queue.push({ type: 'heartbeat' });
    wake();
    await new Promise((r) => setImmediate(r));
    expect(await health.isReady()).toBe(true);
  });
});
