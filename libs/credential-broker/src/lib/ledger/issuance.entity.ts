import { Entity, PrimaryKey, Property, type Opt } from '@mikro-orm/core';

/**
 * Where one issuance is in its life:
 * `claimed` (a replica works on it) -> `assumed` (STS answered; access key id known) ->
 * `delivered` (sealed delivery on JetStream) | `failed` (a permanent refusal, reported).
 */
export const ISSUANCE_STATES = ['claimed', 'assumed', 'delivered', 'failed'] as const;
export type IssuanceState = (typeof ISSUANCE_STATES)[number];

/**
 * The issuance ledger: one row per (run, phase, integration). It holds only what CloudTrail would
 * show anyway (session name, access key id, expiry): never a secret key, session token or OIDC token.
 */
@Entity({ tableName: 'issuance' })
export class Issuance {
  /** `<runId>:<phase>:<integrationId>`, the delivery's Nats-Msg-Id too. */
  @PrimaryKey({ type: 'string', length: 120 })
  key!: string;

  @Property({ type: 'string', length: 26, index: true })
  runId!: string;

  @Property({ type: 'string', length: 16 })
  phase!: string;

  @Property({ type: 'string', length: 26 })
  integrationId!: string;

  @Property({ type: 'string', length: 16 })
  mode!: string;

  @Property({ type: 'string', length: 64 })
  sessionName!: string;

  @Property({ type: 'string', length: 16 })
  state!: IssuanceState;

  /** Random per claim; a takeover compares and sets it so only one replica recovers a row. */
  @Property({ type: 'string', length: 36 })
  claimToken!: string;

  /** Until when the claiming replica is presumed alive. */
  @Property({ type: 'datetime' })
  claimedUntil!: Date;

  @Property({ type: 'string', length: 128, nullable: true })
  accessKeyId?: string | null;

  @Property({ type: 'datetime', nullable: true })
  expiresAt?: Date | null;

  /** Refreshes answered for this issuance (0 until the worker asks). */
  @Property({ type: 'integer', onCreate: () => 0 })
  refreshes!: number & Opt;

  @Property({ type: 'string', length: 32, nullable: true })
  failureCode?: string | null;

  @Property({ type: 'datetime' })
  createdAt!: Date;

  @Property({ type: 'datetime' })
  updatedAt!: Date;
}
