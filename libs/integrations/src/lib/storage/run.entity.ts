import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import type { CallerType, Phase, PublicEcJwk, RunType } from '@runtrail/contracts';

/**
 * A run as the runs API knows it. Account, space and caller come from the registry when the run is
 * created (a scheduler cannot name them), and every phase change is checked against the run
 * type's state machine and the server's clock.
 */
@Entity({ tableName: 'run' })
@Index({ name: 'run_open_deadline_index', properties: ['terminal', 'deadline'] })
export class Run {
  @PrimaryKey({ type: 'string', length: 26 })
  id!: string;

  @Property({ type: 'string', length: 40 })
  account!: string;

  @Property({ type: 'string', length: 26, index: 'run_caller_index' })
  callerId!: string;

  @Property({ type: 'string', length: 8 })
  callerType!: CallerType;

  @Property({ type: 'string', length: 64 })
  callerSlug!: string;

  /** The caller's space when the run was created: the run stays in it even if the caller moves. */
  @Property({ type: 'string', length: 64 })
  spaceId!: string;

  @Property({ type: 'string', length: 16 })
  runType!: RunType;

  @Property({ type: 'string', length: 64 })
  workerId!: string;

  @Property({ type: 'json' })
  workerPublicKey!: PublicEcJwk;

  @Property({ type: 'string', length: 16 })
  phase!: Phase;

  /** The phase is FINISHED, FAILED or STOPPED: nothing changes any more. */
  @Property({ type: 'boolean' })
  terminal!: boolean;

  /** When the current phase was entered (the server's clock). */
  @Property({ type: 'datetime' })
  phaseAt!: Date;

  /** The end of the run's maximum lifetime: it is STOPPED then. */
  @Property({ type: 'datetime' })
  deadline!: Date;

  /** The API key that created the run. */
  @Property({ type: 'string', length: 26 })
  createdBy!: string;

  @Property({ type: 'datetime' })
  createdAt!: Date;

  /**
   * W3C `traceparent` of the span that created the run: every phase change is published in this
   * trace, so a run's phases, issuances, STS calls and deliveries share one trace id. Null for runs
   * created before tracing was kept.
   */
  @Property({ type: 'string', length: 55, nullable: true })
  traceparent?: string | null;

  /** Increments on every phase change; two concurrent changes of one run cannot both commit. */
  @Property({ type: 'integer' })
  version!: number;
}
