import { Inject } from '@nestjs/common';
import type { MikroORM } from '@mikro-orm/core';

export type DatabaseCheck = { ok: true } | { ok: false; reason: string };

/** Injection token of a service's {@link DatabaseHealth}: `<service>_DatabaseHealth`. */
export function databaseHealthToken(service: string): string {
  return `${service}_DatabaseHealth`;
}

/** Injects the {@link DatabaseHealth} of `service` (registered by `PersistenceModule.forService`). */
export function InjectDatabaseHealth(service: string): PropertyDecorator & ParameterDecorator {
  return Inject(databaseHealthToken(service));
}

/**
 * Readiness of one service's database: a `select 1` with a deadline. `readinessName`/`isReady`
 * make `/health/ready` (libs/bootstrap) find and run it.
 */
export class DatabaseHealth {
  readonly readinessName: string;

  constructor(
    private readonly orm: MikroORM,
    readonly service: string,
  ) {
    this.readinessName = `database:${service}`;
  }

  isReady(): Promise<boolean> {
    return this.isReachable();
  }

  /** Runs `select 1`; false when it fails or takes longer than `timeoutMs`. */
  async isReachable(timeoutMs = 2_000): Promise<boolean> {
    return (await this.check(timeoutMs)).ok;
  }

  /** Like {@link isReachable}, with the reason of a failure (driver message, never the URL's password). */
  async check(timeoutMs = 2_000): Promise<DatabaseCheck> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<DatabaseCheck>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, reason: `no answer to select 1 within ${timeoutMs} ms` }), timeoutMs);
    });
    const probe = this.orm.em
      .getConnection()
      .execute('select 1')
      .then((): DatabaseCheck => ({ ok: true }))
      .catch((error: unknown): DatabaseCheck => ({ ok: false, reason: error instanceof Error ? error.message : String(error) }));
    try {
      return await Promise.race([probe, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
