import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { IntegrationsConfig } from '../integrations.config';
import { PeriodicPass } from '../periodic-pass';
import { AwsIntegration } from '../storage/integration.entity';
import { UnitOfWork } from '../unit-of-work';
import { reverifyIntegration } from './reverify-integration';
import { VerificationClient } from './verification.client';

/**
 * Re-verifies every integration periodically, for each caller it is attached to, so a trust policy that drifted to unsafe (or back)
 * is noticed: health is recorded and `integrations.v1.health` published when it flips.
 */
@Injectable()
export class ReverifyScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('IntegrationsReverify');
  private readonly job: PeriodicPass;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly verification: VerificationClient,
    config: IntegrationsConfig,
  ) {
    this.job = new PeriodicPass(config.reverifyIntervalMs, () => this.pass());
  }

  onApplicationBootstrap(): void {
    this.job.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.job.stop();
  }

  /** One pass over every integration; resolves with how many changed health. */
  runOnce(): Promise<number> {
    return this.job.runOnce();
  }

  private async pass(): Promise<number> {
    const ids = (
      await this.uow.read().find(AwsIntegration, {}, { fields: ['id'], orderBy: { id: 'asc' } })
    ).map((i) => i.id);
    let changed = 0;
    for (const id of ids) {
      try {
        if (await this.reverify(id)) changed += 1;
      } catch (error) {
        // One integration's failure (verifier down, row deleted meanwhile) must not stop the others.
        this.log.warn(
          `re-verification of integration ${id} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    return changed;
  }

  private async reverify(id: string): Promise<boolean> {
    const row = await this.uow.read().findOne(AwsIntegration, { id });
    if (!row) return false;
    return (await reverifyIntegration(this.uow, this.verification, row))?.changed ?? false;
  }
}
