import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { UlidParamPipe } from '../api/ulid-param.pipe';
import { ApiKeyGuard, CurrentPrincipal } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { RunWrites } from './run-writes.usecase';

/** The runs front door for schedulers (`scheduler` or `admin` keys): the only way a run starts. */
@Controller('v1/runs')
@UseGuards(ApiKeyGuard)
export class RunsController {
  constructor(private readonly runs: RunWrites) {}

  @Post()
  create(@CurrentPrincipal() p: Principal, @Body() body: unknown) {
    return this.runs.create(p, body);
  }

  @Get(':runId')
  get(@CurrentPrincipal() p: Principal, @Param('runId', UlidParamPipe) runId: string) {
    return this.runs.get(p, runId);
  }

  @Post(':runId/phases')
  @HttpCode(200)
  enter(
    @CurrentPrincipal() p: Principal,
    @Param('runId', UlidParamPipe) runId: string,
    @Body() body: unknown,
  ) {
    return this.runs.enter(p, runId, body);
  }
}
