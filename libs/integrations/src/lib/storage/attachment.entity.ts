import { Entity, PrimaryKey, Property, Unique, type Opt } from '@mikro-orm/core';
import type { CallerType } from '@runtrail/contracts';

/** An integration attached to a caller, for read and/or write. */
@Entity({ tableName: 'attachment' })
@Unique({ name: 'attachment_integration_caller_unique', properties: ['integrationId', 'callerId'] })
export class Attachment {
  @PrimaryKey({ type: 'string', length: 26 })
  id!: string;

  @Property({ type: 'string', length: 40 })
  account!: string;

  @Property({ type: 'string', length: 26, index: 'attachment_integration_index' })
  integrationId!: string;

  @Property({ type: 'string', length: 26, index: 'attachment_caller_index' })
  callerId!: string;

  @Property({ type: 'string', length: 8 })
  callerType!: CallerType;

  @Property({ type: 'string', length: 64 })
  callerSlug!: string;

  @Property({ type: 'boolean' })
  read!: boolean;

  @Property({ type: 'boolean' })
  write!: boolean;

  /** The label (without `autoattach:`) that created it, or null for a manual attachment. */
  @Property({ type: 'string', length: 128, nullable: true })
  autoattachLabel?: string | null;

  @Property({ type: 'integer' })
  version!: number;

  @Property({ type: 'datetime', onCreate: () => new Date() })
  createdAt!: Date & Opt;
}
