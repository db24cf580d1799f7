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
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { ProblemJsonFilter } from '@runtrail/bootstrap';
import { ulid } from 'ulid';
import { listQuery, registerCallerBody, updateCallerBody } from '../api/api.schemas';
import { input, notFound } from '../api/request-input';
import { ApiKeyGuard, CurrentPrincipal } from '../auth/api-key.guard';
import { unknownSpace, type Principal } from '../auth/principal';
import { detach } from '../attachments/attachment.writes';
import { planAutoattach, reconcileCaller } from '../attachments/autoattach';
import { SpaceTree } from '../spaces/space-tree';
import { Attachment } from '../storage/attachment.entity';
import { Caller } from '../storage/caller.entity';
import { AwsIntegration } from '../storage/integration.entity';
import { VerificationClient } from '../verification/verification.client';
import { UnitOfWork } from '../unit-of-work';
import { listPage, visibleWithLabels } from '../api/page';

/** Stacks and modules: register, list, read, relabel/move, remove. */
@Controller('v1/callers')
@UseFilters(ProblemJsonFilter)
@UseGuards(ApiKeyGuard)
export class CallersController {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly verification: VerificationClient,
  ) {}

  /** Registers a caller; autoattach integrations are attached once verified for it (refusals are reported). */
  @Post()
  async register(@CurrentPrincipal() p: Principal, @Body() body: unknown) {
    p.requireAdmin();
    const spec = input(registerCallerBody, body, 'caller');
    p.requireSpace(spec.spaceId);
    const id = ulid();
    const plan = await this.planFor(p, Object.assign(new Caller(), { id, account: p.account, ...spec }));
    const caller = await this.uow.write(`caller '${spec.slug}'`, async (em) => {
      const tree = await SpaceTree.load(em, p.account);
      if (!tree.has(spec.spaceId)) unknownSpace(spec.spaceId);
      const row = em.create(Caller, { id, account: p.account, ...spec });
      await reconcileCaller(em, row, tree, plan);
      return row;
    });
    return { ...callerView(caller), autoattachRefused: plan.refused };
  }

  @Get()
  async list(@CurrentPrincipal() p: Principal, @Query() query: unknown) {
    const q = input(listQuery, query, 'query');
    return listPage(
      this.uow.read(),
      Caller,
      { account: p.account },
      q,
      visibleWithLabels(p, q.label),
      callerView,
    );
  }

  @Get(':id')
  async get(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    return callerView(await visibleCaller(this.uow.read(), p, id));
  }

  @Patch(':id')
  async update(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: unknown) {
    p.requireAdmin();
    const spec = input(updateCallerBody, body, 'caller update');
    if (spec.spaceId !== undefined) p.requireSpace(spec.spaceId);
    const current = await visibleCaller(this.uow.read(), p, id);
    const plan = await this.planFor(p, Object.assign(new Caller(), current, spec));
    const caller = await this.uow.write(`caller ${id}`, async (em) => {
      const row = await visibleCaller(em, p, id);
      const tree = await SpaceTree.load(em, p.account);
      if (spec.spaceId !== undefined && !tree.has(spec.spaceId)) unknownSpace(spec.spaceId);
      em.assign(row, {
        ...(spec.spaceId !== undefined ? { spaceId: spec.spaceId } : {}),
        ...(spec.labels !== undefined ? { labels: spec.labels } : {}),
      });
      await reconcileCaller(em, row, tree, plan);
      return row;
    });
    return { ...callerView(caller), autoattachRefused: plan.refused };
  }

  /** Verifies the autoattach pairs `caller`, as it would be saved, newly makes. */
  private async planFor(p: Principal, caller: Caller) {
    const em = this.uow.read();
    const tree = await SpaceTree.load(em, p.account);
    if (!tree.has(caller.spaceId)) unknownSpace(caller.spaceId);
    const integrations = await em.find(AwsIntegration, { account: p.account });
    return planAutoattach(em, this.verification, tree, integrations, [caller]);
  }

  /** Removing a caller removes its attachments too (each announced as detached). */
  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<void> {
    p.requireAdmin();
    await this.uow.write(`caller ${id}`, async (em) => {
      const row = await visibleCaller(em, p, id);
      for (const attachment of await em.find(Attachment, { callerId: row.id })) detach(em, attachment);
      em.remove(row);
    });
  }
}

async function visibleCaller(em: EntityManager, p: Principal, id: string): Promise<Caller> {
  const row = await em.findOne(Caller, { id, account: p.account });
  if (!row || !p.canSee(row.spaceId)) notFound(`caller ${id}`);
  return row;
}

export function callerView(c: Caller) {
  return {
    id: c.id,
    type: c.type,
    slug: c.slug,
    spaceId: c.spaceId,
    labels: c.labels,
    createdAt: c.createdAt.toISOString(),
  };
}
