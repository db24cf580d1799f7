import { Controller, Get, Query, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { text } from '@runtrail/contracts';
import type { AuditScope } from '../queries/audit-scope';
import { whoChanged } from '../queries/who-changed.query';
import { AuditDb } from '../storage/audit-db';
import { ApiKeyGuard, Scope } from './api-key.guard';
import { sendPage } from './csv';
import { EVENT_CSV_COLUMNS } from './event-csv.columns';
import { listQuery, parseQuery } from './list-query';

/** `GET /v1/audit/changes?resource=<ARN or name>`: who changed X, newest first, with the run. */
@Controller('v1/audit/changes')
@UseGuards(ApiKeyGuard)
export class WhoChangedController {
  constructor(private readonly db: AuditDb) {}

  @Get()
  async changes(@Query() query: unknown, @Scope() scope: AuditScope, @Res() response: Response): Promise<void> {
    const q = parseQuery(listQuery.extend({ resource: text().min(1).max(2048) }), query);
    sendPage(response, await whoChanged(this.db, q.resource, scope, q.cursor, q.limit), q.format, EVENT_CSV_COLUMNS, 'changes');
  }
}
