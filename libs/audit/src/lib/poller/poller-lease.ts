import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';

/** The KV bucket holding one lease per (AWS account, region). */
export const LEASE_BUCKET = 'audit_poller_leases';

/**
 * A lease in NATS KV that makes exactly one replica poll a (account, region). Taking it is a
 * `create` (fails while someone holds it); keeping it is an `update` at the revision we last
 * wrote (compare-and-set: fails once anyone else took it). The bucket's TTL removes a lease its
 * holder stopped renewing, e.g. because the process died, and a standby's next `create` wins.
 */
export class PollerLease {
  private revision: number | null = null;

  private constructor(
    private readonly kv: KV,
    readonly key: string,
    private readonly holder: string,
  ) {}

  static async open(nc: NatsConnection, key: string, holder: string, ttlMs: number, replicas = 1): Promise<PollerLease> {
    const kv = await new Kvm(nc).create(LEASE_BUCKET, { ttl: ttlMs, history: 1, replicas });
    return new PollerLease(kv, key.replace(/[^-/_=.a-zA-Z0-9]/g, '_'), holder);
  }

  get held(): boolean {
    return this.revision !== null;
  }

  /** Takes the lease if free; true when this holder has it afterwards. */
  async acquire(): Promise<boolean> {
    if (this.revision !== null) return this.renew();
    try {
      this.revision = await this.kv.create(this.key, this.holder);
      return true;
    } catch {
      return false; // someone holds it (or NATS is unreachable): stay a standby
    }
  }

  /** Extends the lease; false (and no longer held) when it was lost to another holder. */
  async renew(): Promise<boolean> {
    if (this.revision === null) return false;
    try {
      this.revision = await this.kv.update(this.key, this.holder, this.revision);
      return true;
    } catch {
      this.revision = null;
      return false;
    }
  }

  /** Gives the lease up at once (graceful stop), only if it is still ours. */
  async release(): Promise<void> {
    if (this.revision === null) return;
    const revision = this.revision;
    this.revision = null;
    await this.kv.delete(this.key, { previousSeq: revision }).catch(() => undefined);
  }
}
