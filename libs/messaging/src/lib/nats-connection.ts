import { connect, type NatsConnection } from '@nats-io/transport-node';

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

/** Connects with reconnects forever: a service outlives NATS restarts, readiness reports the gap. */
export async function connectNats(options: NatsConnectionOptions): Promise<NatsConnection> {
  return connect({
    servers: options.servers,
    name: options.name,
    user: options.user,
    pass: options.pass,
    token: options.token,
    inboxPrefix: options.inboxPrefix,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  });
}
