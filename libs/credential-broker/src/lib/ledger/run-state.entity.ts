import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import type { PublicEcJwk } from '@runtrail/contracts';

/**
 * The latest known phase of each run, from its phase events. The refresh handler reads it to
 * refuse credentials once a run finished or outlived its deadline, and to check who asks (the
 * worker key is public).
 */
@Entity({ tableName: 'run_state' })
export class RunState {
  @PrimaryKey({ type: 'string', length: 26 })
  runId!: string;

  @Property({ type: 'string', length: 16 })
  phase!: string;

  /** When the run entered `phase` (the event's `at`): older events do not overwrite newer ones. */
  @Property({ type: 'datetime' })
  at!: Date;

  @Property({ type: 'string', length: 40 })
  account!: string;

  @Property({ type: 'string', length: 64 })
  spaceId!: string;

  @Property({ type: 'string', length: 8 })
  callerType!: string;

  @Property({ type: 'string', length: 26 })
  callerId!: string;

  @Property({ type: 'string', length: 64 })
  callerSlug!: string;

  @Property({ type: 'string', length: 16 })
  runType!: string;

  @Property({ type: 'string', length: 64 })
  workerId!: string;

  @Property({ type: 'json' })
  workerPublicKey!: PublicEcJwk;

  /**
   * The end of the run's maximum lifetime (`runs.v1.phase`'s `deadline`): no issuance or refresh
   * after it, no session beyond it. Null for runs whose events predate deadlines.
   */
  @Property({ type: 'datetime', nullable: true })
  deadline?: Date | null;

  @Property({ type: 'datetime' })
  updatedAt!: Date;
}
