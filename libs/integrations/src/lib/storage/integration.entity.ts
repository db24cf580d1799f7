import { Entity, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';
import type { IntegrationMode } from '@runtrail/contracts';

/** An AWS role runtrail may use for an account's callers. */
@Entity({ tableName: 'aws_integration' })
@Unique({ name: 'aws_integration_account_name_unique', properties: ['account', 'name'] })
export class AwsIntegration {
  @PrimaryKey({ type: 'string', length: 26 })
  id!: string;

  @Property({ type: 'string', length: 40 })
  account!: string;

  @Property({ type: 'string', length: 100 })
  name!: string;

  @Property({ type: 'string', length: 2048 })
  roleArn!: string;

  @Property({ type: 'integer' })
  durationSeconds!: number;

  @Property({ type: 'string', length: 32, nullable: true })
  region?: string | null;

  @Property({ type: 'json' })
  labels!: string[];

  @Property({ type: 'string', length: 64 })
  spaceId!: string;

  @Property({ type: 'string', length: 8 })
  mode!: IntegrationMode;

  @Property({ type: 'boolean' })
  sessionTagging!: boolean;

  /**
   * Send the run id as SourceIdentity (opt-in; needs sts:SetSourceIdentity). The column's default is
   * for rows saved before it existed, which always sent it; the API always sets it (default off).
   */
  @Property({ type: 'boolean', default: true })
  sourceIdentity!: boolean;

  @Property({ type: 'string', length: 1224, nullable: true })
  customExternalId?: string | null;

  @Property({ type: 'boolean' })
  healthy!: boolean;

  /** Why the last verification found it unhealthy (empty when healthy). */
  @Property({ type: 'json' })
  healthReasons!: string[];

  @Property({ type: 'datetime', nullable: true })
  lastVerifiedAt?: Date | null;

  /** Increments on every change; part of every event's Nats-Msg-Id. */
  @Property({ type: 'integer' })
  version!: number;

  @Property({ type: 'datetime', onCreate: () => new Date() })
  createdAt!: Date & Opt;
}
