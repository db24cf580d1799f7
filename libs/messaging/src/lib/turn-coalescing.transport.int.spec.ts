import type { Socket } from 'node:net';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { testNatsUrl, uniqueName, until } from '@runtrail/testing';
import { connectNats } from './nats-connection';
import { TurnCoalescingTransport } from './turn-coalescing.transport';

// The services' NATS connection (connectNats) on a real nats-server: what is sent in one turn of the
// event loop leaves in one socket write, nothing is lost or reordered, and it stays so after a reconnect.

/** The connection's current transport (not public in nats.js; what this spec is about). */
function transportOf(nc: NatsConnection): TurnCoalescingTransport {
  return (nc as unknown as { protocol: { transport: TurnCoalescingTransport } }).protocol.transport;
}

/** Counts the socket's writes to the kernel (one `_write` or `_writev` each) while `work` runs. */
async function writesDuring(socket: Socket, work: () => Promise<unknown>): Promise<number> {
  const writable = socket as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  const originals = { _write: writable._write, _writev: writable._writev };
  let writes = 0;
  for (const name of ['_write', '_writev'] as const)
    writable[name] = (...args: unknown[]) => {
      writes += 1;
      return originals[name].apply(socket, args);
    };
  try {
    await work();
  } finally {
    Object.assign(writable, originals);
  }
  return writes;
}

describe('TurnCoalescingTransport on a real nats-server', () => {
  let service: NatsConnection;
  let peer: NatsConnection;

  beforeAll(async () => {
    service = await connectNats({ servers: testNatsUrl(), name: 'coalescing-spec' });
    peer = await connect({ servers: testNatsUrl() });
  });
  afterAll(async () => {
    await service?.close();
    await peer?.close();
  });

  it('sends 200 requests made by independent handlers in one turn as one write, each answered', async () => {
    const subject = uniqueName('coalesce.echo');
    const responder = peer.subscribe(subject, { callback: (_err, msg) => void msg.respond(msg.data) });
    await peer.flush();

    const transport = transportOf(service);
    expect(transport).toBeInstanceOf(TurnCoalescingTransport);
    let replies: string[] = [];
    const writes = await writesDuring(transport.socket, async () => {
      // Each handler awaits before its request, as a consumer's handlers do: upstream, each request
      // would be flushed in a write of its own.
      const handler = async (i: number) => {
        await Promise.resolve();
        const reply = await service.request(subject, `#${i}`, { timeout: 5_000 });
        return reply.string();
      };
      replies = await Promise.all(Array.from({ length: 200 }, (_, i) => handler(i)));
    });

    expect(replies).toEqual(Array.from({ length: 200 }, (_, i) => `#${i}`));
    expect(writes).toBe(1);
    responder.unsubscribe();
  });

  // nats.js drops what it has not written when closed without drain or flush; what it had handed to
  // the (corked) socket still goes out, as it would have without corking.
  it('delivers what was published just before drain, in order, and what was handed over before close', async () => {
    const subject = uniqueName('coalesce.close');
    const received: string[] = [];
    const sub = peer.subscribe(subject, { callback: (_err, msg) => void received.push(msg.string()) });
    await peer.flush();

    const draining = await connectNats({ servers: testNatsUrl(), name: 'coalescing-drain' });
    for (let i = 0; i < 50; i++) draining.publish(subject, `m${i}`);
    await draining.drain();

    const closing = await connectNats({ servers: testNatsUrl(), name: 'coalescing-close' });
    closing.publish(subject, 'last');
    await Promise.resolve(); // nats.js hands its buffer to the transport at the end of the microtask run
    await closing.close();

    await until(() => received.length >= 51, { timeoutMs: 5_000, what: '51 messages received' });
    expect(received).toEqual([...Array.from({ length: 50 }, (_, i) => `m${i}`), 'last']);
    sub.unsubscribe();
  });

  it('coalesces on the new transport after a reconnect', async () => {
    const before = transportOf(service);
    const reconnected = (async () => {
      for await (const status of service.status()) if (status.type === 'reconnect') return;
    })();
    await service.reconnect();
    await reconnected;
    const after = transportOf(service);
    expect(after).not.toBe(before);
    expect(after).toBeInstanceOf(TurnCoalescingTransport);

    const subject = uniqueName('coalesce.after');
    const received: string[] = [];
    const sub = peer.subscribe(subject, { callback: (_err, msg) => void received.push(msg.string()) });
    await peer.flush();
    const writes = await writesDuring(after.socket, async () => {
      for (let i = 0; i < 20; i++) service.publish(subject, `r${i}`);
      await service.flush();
    });
    await until(() => received.length >= 20, { timeoutMs: 5_000, what: '20 messages received' });
    expect(received).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`));
    expect(writes).toBe(1); // the 20 publishes and flush's PING
    sub.unsubscribe();
  });
});
