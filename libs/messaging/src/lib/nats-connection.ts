import type { NatsConnection } from '@nats-io/transport-node';
import { connectCoalescing } from './turn-coalescing.transport';

/** Injection token of the process's one NATS connection. */
export const NATS_CONNECTION = Symbol('NATS_CONNECTION');

export interface NatsConnectionOptions {
  servers: string | string[];
  /** Client name shown by the server (`service@host`). */
  name: string;
  user?: string;
  pass?: string;
  token?: string;
  /**
   * Reply subjects start with this prefix instead of `_INBOX`, so NATS permissions can let each
   * service read only its own replies (deploy/nats/auth.conf).
   */
  inboxPrefix?: string;
}

/**
 * The warning to log once at start when the server asks for no credentials: then any client may read
 * every worker's deliveries and publish runs. Null when the server requires authentication.
 */
export function openServerWarning(nc: NatsConnection): string | null {
  if (nc.info?.auth_required) return null;
  return `NATS at ${nc.getServer()} has no authentication: any client may publish runs and read deliveries; for development only (production: deploy/nats)`;
}

/**
 * Connects with reconnects forever: a service outlives NATS restarts, readiness reports the gap.
 * What the service sends in one turn of the event loop leaves in one socket write
 * (`TurnCoalescingTransport`).
 */
export async function connectNats(options: NatsConnectionOptions): Promise<NatsConnection> {
  return connectCoalescing({
    servers: options.servers,
    name: options.name,
    user: options.user,
    pass: options.pass,
    token: options.token,
    inboxPrefix: options.inboxPrefix,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    // Otherwise every request and JetStream publish builds two Error objects (stack traces) up front
    // in case it fails: ~2% of the broker's CPU per issuance (bench P1b). Failures still say what
    // timed out or had no responders (MessageBus names the subject).
    noAsyncTraces: true,
  });
}
