import { Injectable, Logger } from '@nestjs/common';
import {
  CredentialsFailedEvent,
  RuntrailError,
  type ErrorCode,
  type RunPhaseChanged,
  type Scope,
} from '@runtrail/contracts';
import { MessageBus } from '@runtrail/messaging';
import { Clock } from '../clock';

/** Publishes `credentials.v1.failed`: why a run phase got no credentials from one integration (or none at all). */
@Injectable()
export class FailureReporter {
  private readonly log = new Logger('CredentialBroker');

  constructor(
    private readonly bus: MessageBus,
    private readonly clock: Clock,
  ) {}

  async report(
    event: RunPhaseChanged,
    scope: Scope,
    integration: { id: string; roleArn: string } | null,
    code: ErrorCode,
    reason: string,
  ): Promise<void> {
    this.log.warn(
      `run ${event.runId} ${event.phase}: no credentials from ${integration?.id ?? 'any integration'}: ${code}: ${reason}`,
    );
    await this.bus.publish(CredentialsFailedEvent, {
      runId: event.runId,
      account: event.account,
      spaceId: event.spaceId,
      caller: event.caller,
      phase: event.phase,
      scope,
      workerId: event.workerId,
      integrationId: integration?.id ?? null,
      roleArn: integration?.roleArn ?? null,
      code,
      reason,
      failedAt: this.clock.now().toISOString(),
    });
  }

  /** The code and message of any failure; unknown errors become INTERNAL without their details. */
  static describe(error: unknown): { code: ErrorCode; reason: string } {
    if (error instanceof RuntrailError) return { code: error.code, reason: error.message };
    return { code: 'INTERNAL', reason: 'the broker failed unexpectedly; see its logs' };
  }
}
