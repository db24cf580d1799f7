import { Controller, Get, Query, Res, UseGuards } from '@nestjs/common';
import { FINDING_KINDS, ulid, type FindingRaised } from '@runtrail/contracts';
import type { Response } from 'express';
import { z } from 'zod';
import type { AuditScope } from '../queries/audit-scope';
import { listFindings } from '../queries/findings.query';
import { AuditDb } from '../storage/audit-db';
import { ApiKeyGuard, Scope } from './api-key.guard';
import { sendPage } from './csv';
import { listQuery, parseQuery, timeRange } from './list-query';

const FINDING_CSV: Array<keyof FindingRaised> = ['detectedAt', 'id', 'kind', 'severity', 'account', 'runId', 'roleArn', 'awsAccountId', 'eventId', 'message', 'details'];

/** `GET /v1/audit/findings`: the account's findings by kind, run and time. */
@Controller('v1/audit/findings')
@UseGuards(ApiKeyGuard)
export class FindingsController {
  constructor(private readonly db: AuditDb) {}

  @Get()
  async findings(@Query() query: unknown, @Scope() scope: AuditScope, @Res() response: Response): Promise<void> {
    const { cursor, limit, format, ...filter } = parseQuery(
      listQuery.extend(timeRange.shape).extend({ kind: z.enum(FINDING_KINDS).optional(), runId: ulid.optional() }),
      query,
    );
    sendPage(response, await listFindings(this.db, filter, scope, cursor, limit), format, FINDING_CSV, 'findings');
  }
}
