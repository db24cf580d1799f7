import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { AuditEnv } from '../audit.env';
import { AUDIT_ENV } from '../service/audit.providers';
import { AuditDb } from './audit-db';
import { maintainPartitions } from './partitions';

/** How often partitions are maintained: they are created months ahead, so hourly is plenty. */
const MAINTENANCE_INTERVAL_MS = 3_600_000;

/** Runs `maintainPartitions` at start and every hour (PostgreSQL only). */
@Injectable()
export class PartitionMaintainer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('AuditPartitions');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: AuditDb,
    @Inject(AUDIT_ENV) private readonly env: AuditEnv,
  ) {}

  onApplicationBootstrap(): void {
    if (this.db.driver !== 'postgres') return;
    const pass = () => {
      this.running = maintainPartitions(this.db, { now: new Date(), retentionDays: this.env.AUDIT_RETENTION_DAYS ?? null })
        .then(({ created, dropped }) => {
          if (created.length || dropped.length)
            this.log.log(`partitions created: ${created.join(', ') || 'none'}; dropped past retention: ${dropped.join(', ') || 'none'}`);
        })
        .catch((error: unknown) => this.log.warn(`partition maintenance failed: ${error instanceof Error ? error.message : String(error)}`));
    };
    pass();
    this.timer = setInterval(pass, MAINTENANCE_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
