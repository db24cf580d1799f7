import { Controller, Get, Query, Res, UseGuards } from '@nestjs/common';
import { text, ulid } from '@runtrail/contracts';
import type { Response } from 'express';
import { z } from 'zod';
import { activity } from '../queries/activity.query';
import type { AuditScope } from '../queries/audit-scope';
import { AuditDb } from '../storage/audit-db';
import { ApiKeyGuard, Scope } from './api-key.guard';
import { sendPage } from './csv';
import { EVENT_CSV_COLUMNS } from './event-csv.columns';
import { listQuery, parseQuery, timeRange } from './list-query';

const activityQuery = listQuery.extend(timeRange.shape).extend({
  runId: ulid.optional(),
  spaceId: text().max(128).optional(),
  callerId: text().max(128).optional(),
  awsAccountId: z.string().regex(/^\d{12}$/).optional(),
  eventName: text().max(128).optional(),
  denied: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
});

/** `GET /v1/audit/events`: activity by run, stack/module, space, AWS account, action, outcome, time. */
@Controller('v1/audit/events')
@UseGuards(ApiKeyGuard)
export class ActivityController {
  constructor(private readonly db: AuditDb) {}

  @Get()
  async events(@Query() query: unknown, @Scope() scope: AuditScope, @Res() response: Response): Promise<void> {
    const { cursor, limit, format, ...filter } = parseQuery(activityQuery, query);
    sendPage(response, await activity(this.db, filter, scope, cursor, limit), format, EVENT_CSV_COLUMNS, 'events');
  }
}
