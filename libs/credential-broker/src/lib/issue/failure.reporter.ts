import { Injectable, Logger } from '@nestjs/common';
import {
  CredentialsFailedEvent,
  DeliveryFailedEvent,
  RuntrailError,
  type ErrorCode,
  type RunPhaseChanged,
  type Scope,
} from '@runtrail/contracts';
import { MessageBus } from '@runtrail/messaging';
import { Clock } from '../clock';

/**
 * Why a run phase got no credentials from one integration (or none at all): to the worker on
 * `deliveries.v1.<worker>.<run>.failed`, and to audit on `credentials.v1.failed`.
 */
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
    const failedAt = this.clock.now().toISOString();
    const integrationId = integration?.id ?? null;
    // The worker learns it on its own delivery subject (the only one its NATS user may read)...
    await this.bus.publish(DeliveryFailedEvent, {
      runId: event.runId,
      workerId: event.workerId,
      phase: event.phase,
      scope,
      integrationId,
      code,
      reason,
      failedAt,
    });
    // ...audit on credentials.v1.failed, with the account, caller and role.
    await this.bus.publish(CredentialsFailedEvent, {
      runId: event.runId,
      account: event.account,
      spaceId: event.spaceId,
      caller: event.caller,
      phase: event.phase,
      scope,
      workerId: event.workerId,
      integrationId,
      roleArn: integration?.roleArn ?? null,
      code,
      reason,
      failedAt,
    });
  }

  /** The code and message of any failure; unknown errors become INTERNAL without their details. */
  static describe(error: unknown): { code: ErrorCode; reason: string } {
    if (error instanceof RuntrailError) return { code: error.code, reason: error.message };
    return { code: 'INTERNAL', reason: 'the broker failed unexpectedly; see its logs' };
  }
}
