import type { Socket } from 'node:net';
import { NatsConnectionImpl, setTransportFactory, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
// The Node transport itself is not re-exported by the package's entry point; @nats-io/transport-node
// is pinned exactly, and the int spec beside this file connects through it to a real nats-server.
import { NodeTransport, nodeResolveHost } from '@nats-io/transport-node/lib/node_transport';

/**
 * nats.js's Node transport, writing once per turn of the event loop.
 *
 * nats.js hands its outbound buffer to the socket at the end of every microtask run in which
 * something was sent, so a service working on many messages at once makes one write syscall for
 * each: a consumer starting 128 run events makes 128 writes of one request each. On a loopback
 * connection each write also runs the receiving side of TCP, about 80 µs of the broker's CPU per
 * issuance on the bench machine, and each is one more read for nats-server. Here the socket is
 * corked from the first write of a turn until `setImmediate`, so everything sent in one turn leaves
 * as one `writev`, later in that same turn: no timer, no added round trip.
 */
export class TurnCoalescingTransport extends NodeTransport {
  private corked: Socket | undefined;

  override send(frame: Uint8Array): void {
    const socket = this.socket as Socket | undefined;
    if (socket && this.corked !== socket) {
      socket.cork();
      this.corked = socket;
      setImmediate(() => this.uncork(socket));
    }
    super.send(frame);
  }

  /** What was sent before `close` still goes out, as it does without corking. */
  override close(err?: Error): Promise<void> {
    if (this.corked) this.uncork(this.corked);
    return super.close(err);
  }

  private uncork(socket: Socket): void {
    if (this.corked === socket) this.corked = undefined;
    socket.uncork();
  }
}

/**
 * `connect` of `@nats-io/transport-node`, with {@link TurnCoalescingTransport}. The transport
 * factory is process-wide and read at every dial (reconnects too); a plain `connect` elsewhere in
 * the process (tests do) sets nats.js's own back for later dials, which behaves the same, only
 * without coalescing.
 */
export function connectCoalescing(options: ConnectionOptions): Promise<NatsConnection> {
  setTransportFactory({ factory: () => new TurnCoalescingTransport(), dnsResolveFn: nodeResolveHost });
  return NatsConnectionImpl.connect(options);
}
