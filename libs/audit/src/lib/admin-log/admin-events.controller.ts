import { Controller, Get, Query, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ProblemJsonFilter } from '@runtrail/bootstrap';
import { ADMIN_ACTIONS, ADMIN_TARGET_TYPES, ulid, type AdminEvent } from '@runtrail/contracts';
import type { Response } from 'express';
import { z } from 'zod';
import { ApiKeyGuard, Scope } from '../api/api-key.guard';
import { sendPage } from '../api/csv';
import { listQuery, parseQuery, timeRange } from '../api/list-query';
import type { AuditScope } from '../queries/audit-scope';
import { AuditDb } from '../storage/audit-db';
import { listAdminEvents } from './admin-events.query';

// Strict: a misspelt filter is a 400 naming it, not a silently wider answer.
const adminEventsQuery = listQuery
  .extend(timeRange.shape)
  .extend({
    action: z.enum(ADMIN_ACTIONS).optional(),
    actorKeyId: ulid.optional(),
    targetType: z.enum(ADMIN_TARGET_TYPES).optional(),
    targetId: z.string().min(1).max(128).optional(),
  })
  .strict();

const ADMIN_EVENT_CSV: Array<keyof AdminEvent> = ['at', 'id', 'action', 'actor', 'target', 'spaceId', 'changes', 'autoattachLabel'];

/** `GET /v1/audit/admin-events`: who changed accounts, keys, callers, integrations and attachments. */
@Controller('v1/audit/admin-events')
@UseGuards(ApiKeyGuard)
@UseFilters(ProblemJsonFilter)
export class AdminEventsController {
  constructor(private readonly db: AuditDb) {}

  @Get()
  async adminEvents(@Query() query: unknown, @Scope() scope: AuditScope, @Res() response: Response): Promise<void> {
    const { cursor, limit, format, ...filter } = parseQuery(adminEventsQuery, query);
    sendPage(response, await listAdminEvents(this.db, filter, scope, cursor, limit), format, ADMIN_EVENT_CSV, 'admin-events');
  }
}
