import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { AuditEnv } from '../audit.env';
import { SweepFindings } from '../findings/sweep-findings.usecase';
import { AUDIT_ENV } from './audit.providers';

/**
 * Runs the time-based finding checks on a timer. Every replica may sweep: findings have
 * deterministic ids, so two replicas raising the same one store and publish it once.
 */
@Injectable()
export class FindingsSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('FindingsSweeper');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly sweeper: SweepFindings,
    @Inject(AUDIT_ENV) private readonly env: AuditEnv,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.env.AUDIT_SWEEP_INTERVAL_MS) return;
    this.timer = setInterval(() => {
      this.running = this.sweeper.sweep().catch((error: unknown) => this.log.warn(`sweep failed: ${error instanceof Error ? error.message : String(error)}`));
    }, this.env.AUDIT_SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
