import type { RetryPolicy } from '@runtrail/aws-sts';

/** Tunables of the broker derived from its environment, injected where needed. */
export class BrokerSettings {
  constructor(
    /** How long a ledger claim protects an issuance in progress (the run event's ack wait). */
    readonly leaseMs: number,
    /** Deliveries of a run event before it is dead-lettered: the last one reports the failure. */
    readonly maxDeliver: number,
    readonly stsRetry: RetryPolicy,
    /** Refreshes per run per minute, so one run cannot spend the shared STS identity's budget. */
    readonly refreshLimitPerRun = 12,
  ) {}
}
