import { Controller, Get, Query, Res, UseGuards } from '@nestjs/common';
import { PHASES, RUN_TYPES, text } from '@runtrail/contracts';
import type { Response } from 'express';
import { z } from 'zod';
import type { AuditScope } from '../queries/audit-scope';
import { listRuns, type RunSummary } from '../queries/runs.query';
import { AuditDb } from '../storage/audit-db';
import { ApiKeyGuard, Scope } from './api-key.guard';
import { sendPage } from './csv';
import { listQuery, parseQuery, timeRange } from './list-query';

const RUN_CSV: Array<keyof RunSummary> = [
  'runId', 'startedAt', 'endedAt', 'phase', 'endPhase', 'runType', 'spaceId', 'callerType', 'callerId', 'callerSlug',
  'issuances', 'awsCalls', 'deniedCalls', 'findings',
];

const runsQuery = listQuery
  .extend(timeRange.shape)
  .extend({
    callerId: text().min(1).max(128).optional(),
    callerType: z.enum(['stack', 'module']).optional(),
    spaceId: text().min(1).max(128).optional(),
    runType: z.enum(RUN_TYPES).optional(),
    phase: z.enum(PHASES).optional(),
  })
  .strict();

/** `GET /v1/audit/runs`: the account's runs (those the key's spaces allow), newest first, with counts. */
@Controller('v1/audit/runs')
@UseGuards(ApiKeyGuard)
export class RunsController {
  constructor(private readonly db: AuditDb) {}

  @Get()
  async runs(@Query() query: unknown, @Scope() scope: AuditScope, @Res() response: Response): Promise<void> {
    const { cursor, limit, format, ...filter } = parseQuery(runsQuery, query);
    sendPage(response, await listRuns(this.db, filter, scope, cursor, limit), format, RUN_CSV, 'runs');
  }
}
