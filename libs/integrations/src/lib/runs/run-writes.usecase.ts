import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { isTerminalPhase, RuntrailError, ulid as ulidSchema, type Phase } from '@runtrail/contracts';
import { ulid } from 'ulid';
import { createRunBody, enterPhaseBody } from '../api/api.schemas';
import { input, notFound } from '../api/request-input';
import type { Principal } from '../auth/principal';
import { IntegrationsConfig } from '../integrations.config';
import { enqueue } from '../outbox/outbox';
import { contextOfTraceparent, traceparentOf } from '../outbox/trace-context';
import { Caller } from '../storage/caller.entity';
import { Run } from '../storage/run.entity';
import { UnitOfWork } from '../unit-of-work';
import { nextPhases } from './run-lifecycle';
import { runPhaseEvent, runView } from './run.view';

const tracer = trace.getTracer('runtrail-integrations');

/**
 * The runs front door: schedulers create runs and move them through their phases. Account, space
 * and caller come from the registry, time from the server's clock; every change is published as
 * `runs.v1.phase` through the outbox in the same transaction.
 */
@Injectable()
export class RunWrites {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly config: IntegrationsConfig,
  ) {}

  async create(p: Principal, body: unknown) {
    p.requireScheduler();
    const spec = input(createRunBody, body, 'run');
    const runId = spec.runId ?? ulid();
    const row = await this.uow.write(`run ${runId}`, async (em) => {
      const caller = await visibleCaller(em, p, spec);
      const existing = await em.findOne(Run, { id: runId });
      if (existing) {
        const same =
          existing.account === p.account &&
          existing.callerId === caller.id &&
          existing.runType === spec.runType &&
          existing.workerId === spec.workerId &&
          existing.workerPublicKey.x === spec.workerPublicKey.x &&
          existing.workerPublicKey.y === spec.workerPublicKey.y;
        if (same && p.canSee(existing.spaceId)) return existing;
        throw new RuntrailError('CONFLICT', `run ${runId} already exists; choose another run id`);
      }
      const now = new Date();
      const run = em.create(Run, {
        id: runId,
        account: p.account,
        callerId: caller.id,
        callerType: caller.type,
        callerSlug: caller.slug,
        spaceId: caller.spaceId,
        runType: spec.runType,
        workerId: spec.workerId,
        workerPublicKey: spec.workerPublicKey,
        phase: 'QUEUED',
        terminal: false,
        phaseAt: now,
        deadline: new Date(now.getTime() + this.config.runMaxLifetimeMs),
        createdBy: p.keyId,
        createdAt: now,
        // The run's trace starts here: the request's span (in the scheduler's trace when it sent a traceparent).
        traceparent: traceparentOf(),
        version: 1,
      });
      enqueue(em, { kind: 'run', payload: runPhaseEvent(run) }, run.traceparent);
      return run;
    });
    return runView(row);
  }

  /**
   * Moves a run to `phase`. Entering the phase it is already in answers the run unchanged (a
   * retried request); anything its run type's state machine does not allow is a 409.
   */
  async enter(p: Principal, runId: string, body: unknown) {
    p.requireScheduler();
    const { phase } = input(enterPhaseBody, body, 'phase change');
    const outcome = await this.uow.write(`run ${runId}`, async (em) => {
      const run = await visibleRun(em, p, runId);
      const now = new Date();
      if (!run.terminal && run.deadline <= now) {
        await moveTo(em, run, 'STOPPED', now);
        return { run, expired: true };
      }
      if (run.phase === phase) return { run, expired: false };
      const allowed = nextPhases(run.runType, run.phase);
      if (!allowed.includes(phase)) {
        throw new RuntrailError(
          'CONFLICT',
          run.terminal
            ? `run ${run.id} is ${run.phase}, which is final: it cannot enter ${phase}`
            : `run ${run.id} is ${run.phase}: a ${run.runType} run can go to ${allowed.join(', ')} from there, not ${phase}`,
        );
      }
      await moveTo(em, run, phase, now);
      return { run, expired: false };
    });
    if (outcome.expired) {
      throw new RuntrailError(
        'CONFLICT',
        `run ${runId} passed its maximum lifetime (${outcome.run.deadline.toISOString()}) and was STOPPED; start a new run`,
      );
    }
    return runView(outcome.run);
  }

  async get(p: Principal, runId: string) {
    return runView(await visibleRun(this.uow.read(), p, runId));
  }
}

/**
 * Moves `run` to `phase` at `now` and enqueues its event (the caller's transaction commits both).
 * The update is conditional on the version read, so of two concurrent changes only one commits.
 *
 * @throws RuntrailError `CONFLICT` when the run changed since it was read.
 */
export async function moveTo(em: EntityManager, run: Run, phase: Phase, now: Date): Promise<void> {
  const next = { phase, terminal: isTerminalPhase(phase), phaseAt: now, version: run.version + 1 };
  if ((await em.nativeUpdate(Run, { id: run.id, version: run.version }, next)) === 0)
    throw new RuntrailError('CONFLICT', `run ${run.id} changed meanwhile; read it again and retry`);
  await em.refresh(run);
  // The phase is published in the run's trace, whichever request (or the expiry timer) moved it;
  // the span links back to that request's own trace.
  const requestSpan = trace.getActiveSpan()?.spanContext();
  const span = tracer.startSpan(
    `run ${phase}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: { 'runtrail.run.id': run.id, 'runtrail.run.type': run.runType, 'runtrail.phase': phase },
      links: requestSpan && trace.isSpanContextValid(requestSpan) ? [{ context: requestSpan }] : [],
    },
    contextOfTraceparent(run.traceparent),
  );
  enqueue(em, { kind: 'run', payload: runPhaseEvent(run) }, traceparentOf(trace.setSpan(context.active(), span)) ?? run.traceparent);
  span.end();
}


async function visibleRun(em: EntityManager, p: Principal, runId: string): Promise<Run> {
  const run = ulidSchema.safeParse(runId).success
    ? await em.findOne(Run, { id: runId, account: p.account })
    : null;
  if (!run || !p.canSee(run.spaceId)) notFound(`run ${runId}`);
  return run;
}

async function visibleCaller(
  em: EntityManager,
  p: Principal,
  spec: { callerId?: string; caller?: { type: 'stack' | 'module'; slug: string } },
): Promise<Caller> {
  const caller = spec.callerId
    ? await em.findOne(Caller, { id: spec.callerId, account: p.account })
    : await em.findOne(Caller, { account: p.account, type: spec.caller?.type, slug: spec.caller?.slug });
  if (!caller || !p.canSee(caller.spaceId)) {
    const named = spec.callerId ? `caller ${spec.callerId}` : `${spec.caller?.type} ${spec.caller?.slug}`;
    throw new RuntrailError('NOT_FOUND', `${named} does not exist or is not visible to this API key`);
  }
  return caller;
}
