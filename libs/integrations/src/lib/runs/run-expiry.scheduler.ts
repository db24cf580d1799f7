import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { IntegrationsConfig } from '../integrations.config';
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
  private timer?: NodeJS.Timeout;
  private running: Promise<number> | null = null;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly config: IntegrationsConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(
      () => void this.runOnce().catch(() => undefined),
      this.config.runSweepIntervalMs,
    );
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One sweep; resolves with how many runs it STOPPED. */
  runOnce(): Promise<number> {
    this.running ??= this.sweep().finally(() => {
      this.running = null;
    });
    return this.running;
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
