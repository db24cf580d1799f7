import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { CredentialsRefreshRequest, RuntrailError, type ReplyOf, type RequestOf } from '@runtrail/contracts';
import { runtrailCounter } from '@runtrail/telemetry';
import { RateLimiter, type RateLimit } from '@runtrail/bootstrap';
import { OnRequest } from '@runtrail/messaging';
import { BrokerSettings } from '../broker.settings';
import { RefreshCredentialsUseCase } from './refresh-credentials.usecase';

const refreshes = () => runtrailCounter('refreshes');

/**
 * Answers `credentials.v1.refresh` in a queue group shared by every replica, at most
 * `BROKER_REFRESH_LIMIT_PER_RUN` times a minute per run (per replica): a run that asks in a loop is
 * answered `THROTTLED` instead of reaching STS.
 */
@Controller()
export class RefreshCredentialsHandler {
  private readonly perRun: RateLimit;

  constructor(
    private readonly refresh: RefreshCredentialsUseCase,
    private readonly limiter: RateLimiter,
    settings: BrokerSettings,
  ) {
    this.perRun = { name: 'run', limit: settings.refreshLimitPerRun, windowMs: 60_000 };
  }

  @OnRequest(CredentialsRefreshRequest)
  async handle(
    @Payload() request: RequestOf<typeof CredentialsRefreshRequest>,
  ): Promise<ReplyOf<typeof CredentialsRefreshRequest>> {
    try {
      await this.limiter.take([{ limit: this.perRun, key: request.runId }]);
      const reply = await this.refresh.execute(request);
      refreshes().add(1, { 'runtrail.outcome': 'refreshed' });
      return reply;
    } catch (error) {
      refreshes().add(1, { 'runtrail.outcome': error instanceof RuntrailError ? error.code : 'INTERNAL' });
      throw error;
    }
  }
}
