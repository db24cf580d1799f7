import type { NatsConnection } from '@nats-io/transport-node';
import { CredentialsRefreshRequest, deliveryPlaintextSchema } from '@runtrail/contracts';
import { MessageBus } from '@runtrail/messaging/client';
import { open, type SealingKeyPair } from '@runtrail/sealing';
import { credentialsOf, type LiveCredentials } from './credentials';

/** How long before expiry to refresh: 5 minutes, or a third of the lifetime when that is shorter. */
export function refreshLeadMs(lifetimeMs: number): number {
  return Math.min(300_000, Math.max(0, lifetimeMs) / 3);
}

export interface KeeperOptions {
  runId: string;
  workerId: string;
  integrationId: string;
  keys: SealingKeyPair;
  awsEndpointUrl?: string;
  /** Overrides {@link refreshLeadMs}. */
  refreshLeadMs?: number;
  /** Called with every new secret so it is masked in the command's output. */
  onSecrets(secrets: string[]): void;
  onRefreshError(message: string): void;
}

/**
 * Holds the command's current credentials and refreshes them through the broker
 * (`credentials.v1.refresh`) before they expire: on a timer, and on demand when the container
 * endpoint is asked for credentials that are due.
 */
export class CredentialKeeper {
  private refreshAt = 0;
  private timer?: NodeJS.Timeout;
  private inflight?: Promise<LiveCredentials>;
  private readonly bus: MessageBus;
  private stopped = false;

  constructor(
    private current: LiveCredentials,
    nc: NatsConnection,
    private readonly options: KeeperOptions,
    private readonly onChange: (credentials: LiveCredentials) => void,
  ) {
    this.bus = new MessageBus(nc);
    this.schedule();
  }

  get credentials(): LiveCredentials {
    return this.current;
  }

  /** Current credentials, refreshed first when they are due. */
  async fresh(): Promise<LiveCredentials> {
    if (Date.now() >= this.refreshAt) await this.refresh();
    return this.current;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private refresh(): Promise<LiveCredentials> {
    this.inflight ??= this.fetch().finally(() => (this.inflight = undefined));
    return this.inflight.catch((error: unknown) => {
      this.options.onRefreshError((error as Error).message);
      return this.current;
    });
  }

  private async fetch(): Promise<LiveCredentials> {
    const reply = await this.bus.request(CredentialsRefreshRequest, {
      runId: this.options.runId,
      workerId: this.options.workerId,
      integrationId: this.options.integrationId,
      workerPublicKey: this.options.keys.publicJwk,
    });
    const plaintext = await open(reply.sealed, this.options.keys.privateKey, deliveryPlaintextSchema);
    const next = await credentialsOf(plaintext, this.options.awsEndpointUrl);
    this.options.onSecrets(secretsOf(next));
    this.current = next;
    this.onChange(next);
    this.schedule();
    return next;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    const lifetime = this.current.expiration.getTime() - Date.now();
    this.refreshAt =
      this.current.expiration.getTime() - (this.options.refreshLeadMs ?? refreshLeadMs(lifetime));
    // Timers above 2^31-1 ms fire at once; long sessions are rescheduled in steps.
    const delay = Math.min(Math.max(0, this.refreshAt - Date.now()), 2 ** 31 - 1);
    this.timer = setTimeout(() => void this.refresh(), delay);
    this.timer.unref();
  }
}

/** The values of `credentials` that must never appear in output. */
export function secretsOf(credentials: LiveCredentials): string[] {
  return [
    credentials.secretAccessKey,
    credentials.sessionToken,
    ...(credentials.webIdentityToken ? [credentials.webIdentityToken] : []),
  ];
}
