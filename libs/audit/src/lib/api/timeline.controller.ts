import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { parseOrThrow, ulid } from '@runtrail/contracts';
import { z } from 'zod';
import type { AuditScope } from '../queries/audit-scope';
import { runTimeline, type RunTimeline } from '../queries/run-timeline.query';
import { AuditDb } from '../storage/audit-db';
import { ApiKeyGuard, Scope } from './api-key.guard';
import { listQuery, parseQuery } from './list-query';

/** `GET /v1/audit/runs/{runId}/timeline`: phases, issuances and every AWS call of a run. */
@Controller('v1/audit/runs')
@UseGuards(ApiKeyGuard)
export class TimelineController {
  constructor(private readonly db: AuditDb) {}

  @Get(':runId/timeline')
  async timeline(@Param('runId') runId: string, @Query() query: unknown, @Scope() scope: AuditScope): Promise<RunTimeline> {
    const id = parseOrThrow(z.object({ runId: ulid }), { runId }, 'path').runId;
    const q = parseQuery(listQuery.omit({ format: true }), query);
    return runTimeline(this.db, id, scope, q.cursor, q.limit);
  }
}
