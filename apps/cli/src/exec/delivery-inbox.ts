import { jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  CredentialsFailedEvent,
  DeliveryEvent,
  credentialsFailedSchema,
  deliveryPlaintextSchema,
  deliverySchema,
  STREAMS,
  type CredentialsFailed,
  type Delivery,
  type DeliveryPlaintext,
  type Phase,
} from '@runtrail/contracts';
import { open, type SealingKeyPair } from '@runtrail/sealing';

/** A delivery opened with the run's key: `plaintext` holds secrets and lives in memory only. */
export interface OpenedDelivery {
  delivery: Delivery;
  plaintext: DeliveryPlaintext;
}

/** Why no credentials came: the broker said so, or nothing came in time. */
export class CredentialsNotReceived extends Error {}

const decoder = new TextDecoder();

/**
 * The worker's inbox for one run: a JetStream ordered consumer on `deliveries.v1.<worker>.<run>`
 * (so a delivery published before `exec` started is not missed) and a subscription to
 * `credentials.v1.failed` for this run, to stop waiting as soon as the broker gives up.
 */
export class DeliveryInbox {
  private readonly opened: OpenedDelivery[] = [];
  private readonly failures: CredentialsFailed[] = [];
  private readonly waiters = new Set<() => void>();
  private messages?: ConsumerMessages;
  private failedSub?: Subscription;

  constructor(
    private readonly nc: NatsConnection,
    private readonly runId: string,
    private readonly workerId: string,
    private readonly keys: SealingKeyPair,
  ) {}

  async start(): Promise<void> {
    this.failedSub = this.nc.subscribe(CredentialsFailedEvent.name, {
      callback: (_err, msg) => {
        const parsed = credentialsFailedSchema.safeParse(JSON.parse(decoder.decode(msg.data)));
        if (parsed.success && parsed.data.runId === this.runId)
          this.record(() => this.failures.push(parsed.data));
      },
    });
    const subject = DeliveryEvent.subject({ runId: this.runId, workerId: this.workerId } as Delivery);
    const consumer = await jetstream(this.nc).consumers.get(STREAMS.DELIVERIES.name, {
      filter_subjects: subject,
    });
    const messages = await consumer.consume();
    this.messages = messages;
    void (async () => {
      for await (const msg of messages) {
        const parsed = deliverySchema.safeParse(msg.json());
        if (!parsed.success) continue;
        // Deliveries sealed to an earlier attempt's key cannot be opened: they are not ours.
        const plaintext = await open(parsed.data.sealed, this.keys.privateKey, deliveryPlaintextSchema).catch(
          () => null,
        );
        if (plaintext) this.record(() => this.opened.push({ delivery: parsed.data, plaintext }));
      }
    })();
  }

  /**
   * The first delivery for `phase` (any phase when absent) from `integrationId` (any when absent).
   * @throws CredentialsNotReceived when the broker reports a failure for it, or after `timeoutMs`.
   */
  wait(
    phase: Phase | undefined,
    integrationId: string | undefined,
    timeoutMs: number,
  ): Promise<OpenedDelivery> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.opened.find(
          (o) =>
            (!phase || o.delivery.phase === phase) &&
            (!integrationId || o.delivery.integrationId === integrationId),
        );
        const failed = this.failures.find(
          (f) =>
            (!phase || f.phase === phase) &&
            (!integrationId || f.integrationId === null || f.integrationId === integrationId),
        );
        if (found) {
          done();
          resolve(found);
        } else if (failed) {
          done();
          reject(
            new CredentialsNotReceived(
              `no credentials for run ${this.runId} ${failed.phase}: ${failed.code}: ${failed.reason}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new CredentialsNotReceived(
            `no credentials for run ${this.runId}${phase ? ` ${phase}` : ''} within ${timeoutMs / 1000} s; is the credential broker running?`,
          ),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  async stop(): Promise<void> {
    this.failedSub?.unsubscribe();
    await this.messages?.close();
  }

  private record(change: () => void): void {
    change();
    for (const waiter of [...this.waiters]) waiter();
  }
}
