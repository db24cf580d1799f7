import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { IntegrationsConfig } from '../integrations.config';
import { PeriodicPass } from '../periodic-pass';
import { Run } from '../storage/run.entity';
import { UnitOfWork } from '../unit-of-work';
import { moveTo } from './run-writes.usecase';

const BATCH = 100;

/**
 * STOPs runs that outlived their maximum lifetime (`INTEGRATIONS_RUN_MAX_LIFETIME_S`), so a run a
 * scheduler forgot can never get credentials again. Every replica sweeps; the run's version makes
 * only one of them commit each STOP.
 */
@Injectable()
export class RunExpiryScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('IntegrationsRuns');
  private readonly job: PeriodicPass;

  constructor(
    private readonly uow: UnitOfWork,
    config: IntegrationsConfig,
  ) {
    this.job = new PeriodicPass(config.runSweepIntervalMs, () => this.sweep());
  }

  onApplicationBootstrap(): void {
    this.job.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.job.stop();
  }

  /** One sweep; resolves with how many runs it STOPPED. */
  runOnce(): Promise<number> {
    return this.job.runOnce();
  }

  private async sweep(): Promise<number> {
    let stopped = 0;
    for (let before = -1; before !== stopped;) {
      before = stopped;
      const now = new Date();
      const due = await this.uow
        .read()
        .find(
          Run,
          { terminal: false, deadline: { $lte: now } },
          { fields: ['id'], limit: BATCH, orderBy: { deadline: 'asc' } },
        );
      for (const { id } of due) {
        try {
          stopped += await this.uow.write(`run ${id}`, async (em) => {
            const run = await em.findOne(Run, { id, terminal: false });
            if (!run) return 0;
            await moveTo(em, run, 'STOPPED', now);
            return 1;
          });
        } catch (error) {
          // Another replica stopped it first (or the database hiccuped: the next sweep retries).
          this.log.debug(`stopping run ${id}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      if (due.length < BATCH) break;
    }
    if (stopped > 0) this.log.log(`stopped ${stopped} run(s) past their maximum lifetime`);
    return stopped;
  }
}
