import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { UlidParamPipe } from '../api/ulid-param.pipe';
import { deleteQuery, listQuery } from '../api/api.schemas';
import { input } from '../api/request-input';
import { listPage, visibleWithLabels } from '../api/page';
import { ApiKeyGuard, CurrentPrincipal } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { AwsIntegration } from '../storage/integration.entity';
import { UnitOfWork } from '../unit-of-work';
import { IntegrationWrites } from './integration.writes';
import { integrationView } from './integration.view';
import { visibleIntegration } from './visible-integration';

/** AWS integrations: CRUD, label filter + paging, re-verification on demand. */
@Controller('v1/integrations')
@UseGuards(ApiKeyGuard)
export class IntegrationsController {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly writes: IntegrationWrites,
  ) {}

  @Post()
  create(@CurrentPrincipal() p: Principal, @Body() body: unknown) {
    return this.writes.create(p, body);
  }

  @Get()
  async list(@CurrentPrincipal() p: Principal, @Query() query: unknown) {
    const q = input(listQuery, query, 'query');
    return listPage(
      this.uow.read(),
      AwsIntegration,
      { account: p.account },
      q,
      visibleWithLabels(p, q.label),
      integrationView,
    );
  }

  @Get(':id')
  async get(@CurrentPrincipal() p: Principal, @Param('id', UlidParamPipe) id: string) {
    return integrationView(await visibleIntegration(this.uow.read(), p, id));
  }

  @Patch(':id')
  update(@CurrentPrincipal() p: Principal, @Param('id', UlidParamPipe) id: string, @Body() body: unknown) {
    return this.writes.update(p, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(
    @CurrentPrincipal() p: Principal,
    @Param('id', UlidParamPipe) id: string,
    @Query() query: unknown,
  ): Promise<void> {
    await this.writes.remove(p, id, input(deleteQuery, query, 'query').force === 'true');
  }

  /** Re-verifies now and records the health; answers the verdict whatever it is. */
  @Post(':id/verify')
  @HttpCode(200)
  verify(@CurrentPrincipal() p: Principal, @Param('id', UlidParamPipe) id: string) {
    return this.writes.reverify(p, id);
  }
}
