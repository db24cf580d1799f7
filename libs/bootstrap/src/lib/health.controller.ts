import { Controller, Get, HttpCode, HttpStatus, Injectable, Res, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { Response } from 'express';
import { isReadinessCheck, type ReadinessCheck } from './readiness';

const CHECK_TIMEOUT_MS = 2_000;

@Injectable()
export class HealthService implements OnApplicationBootstrap {
  private checks: ReadinessCheck[] = [];

  constructor(private readonly discovery: DiscoveryService) {}

  onApplicationBootstrap(): void {
    const seen = new Set<ReadinessCheck>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.isDependencyTreeStatic() ? wrapper.instance : undefined;
      if (isReadinessCheck(instance) && !seen.has(instance)) seen.add(instance);
    }
    this.checks = [...seen].sort((a, b) => a.readinessName.localeCompare(b.readinessName));
  }

  async ready(): Promise<{ ready: boolean; checks: Record<string, 'up' | 'down'>; problems: string[] }> {
    const results = await Promise.all(
      this.checks.map(async (check) => [check.readinessName, await withTimeout(check.isReady())] as const),
    );
    return {
      ready: results.every(([, ok]) => ok),
      checks: Object.fromEntries(results.map(([name, ok]) => [name, ok ? 'up' : 'down'])),
      problems: this.checks.flatMap((check) => check.problems?.() ?? []),
    };
  }
}

async function withTimeout(check: Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS)));
  try {
    return await Promise.race([check.catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Liveness (the process answers) and readiness (NATS, every JetStream consumer receiving, every database reachable). */
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('live')
  @HttpCode(HttpStatus.OK)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ status: 'ready' | 'not ready'; checks: Record<string, string>; problems?: string[] }> {
    const { ready, checks, problems } = await this.health.ready();
    res.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: ready ? 'ready' : 'not ready', checks, ...(problems.length ? { problems } : {}) };
  }
}
