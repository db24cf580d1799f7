import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { RunPhaseChangedEvent, type RunPhaseChanged } from '@runtrail/contracts';
import { JetStreamContext, OnEvent } from '@runtrail/messaging';
import { IssueCredentialsUseCase } from './issue-credentials.usecase';
import { RUN_EVENT_CONSUMER } from './run-event.consumer';

/** Consumes `runs.v1.phase.*` through the durable consumer every broker replica shares. */
@Controller()
export class IssueCredentialsHandler {
  constructor(private readonly issue: IssueCredentialsUseCase) {}

  @OnEvent(RunPhaseChangedEvent, RUN_EVENT_CONSUMER)
  handle(@Payload() event: RunPhaseChanged, @Ctx() ctx: JetStreamContext): Promise<void> {
    return this.issue.execute(event, {
      delivery: ctx.deliveryCount,
      maxDeliver: RUN_EVENT_CONSUMER.maxDeliver,
    });
  }
}
