import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, UseFilters, UseGuards } from '@nestjs/common';
import { ProblemJsonFilter } from '@runtrail/bootstrap';
import { createTrailSourceBody, parseOrThrow, patchTrailSourceBody, ulid, type TrailSourceView } from '@runtrail/contracts';
import { ApiKeyGuard, RequestKeyOf, Scope, type RequestKey } from '../api/api-key.guard';
import type { AuditScope } from '../queries/audit-scope';
import { TrailSources } from './trail-sources.usecase';

const sourceId = (id: string) => parseOrThrow(ulid, id, 'trail source id');

/** `/v1/audit/trail-sources`: the reader roles audit polls customers' CloudTrail with. */
@Controller('v1/audit/trail-sources')
@UseGuards(ApiKeyGuard)
@UseFilters(ProblemJsonFilter)
export class TrailSourcesController {
  constructor(private readonly sources: TrailSources) {}

  @Post()
  create(@Body() body: unknown, @RequestKeyOf() key: RequestKey): Promise<TrailSourceView> {
    return this.sources.create(key, parseOrThrow(createTrailSourceBody, body, 'trail source'));
  }

  @Get()
  async list(@Scope() scope: AuditScope): Promise<{ items: TrailSourceView[] }> {
    return { items: await this.sources.list(scope) };
  }

  @Get(':id')
  get(@Param('id') id: string, @Scope() scope: AuditScope): Promise<TrailSourceView> {
    return this.sources.get(scope, sourceId(id));
  }

  @Patch(':id')
  update(@Param('id') id: string, @Body() body: unknown, @RequestKeyOf() key: RequestKey): Promise<TrailSourceView> {
    return this.sources.update(key, sourceId(id), parseOrThrow(patchTrailSourceBody, body, 'trail source'));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string, @RequestKeyOf() key: RequestKey): Promise<void> {
    await this.sources.remove(key, sourceId(id));
  }
}
