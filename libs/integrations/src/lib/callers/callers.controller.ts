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
import type { EntityManager } from '@mikro-orm/core';
import { RuntrailError } from '@runtrail/contracts';
import { ulid } from 'ulid';
import { UlidParamPipe } from '../api/ulid-param.pipe';
import { listQuery, registerCallerBody, updateCallerBody } from '../api/api.schemas';
import { input, notFound } from '../api/request-input';
import { ApiKeyGuard, CurrentPrincipal } from '../auth/api-key.guard';
import { unknownSpace, type Principal } from '../auth/principal';
import { detach } from '../attachments/attachment.writes';
import { planAutoattach, reconcileCaller } from '../attachments/autoattach';
import { verifiedCaller } from '../attachments/verified-attachments';
import { integrationSnapshot } from '../aws-integrations/integration.view';
import { changedFields, recordAdminEvent, type AdminChange } from '../outbox/admin-event';
import { SpaceTree } from '../spaces/space-tree';
import { Attachment } from '../storage/attachment.entity';
import { Caller } from '../storage/caller.entity';
import { AwsIntegration } from '../storage/integration.entity';
import { VerificationClient } from '../verification/verification.client';
import { UnitOfWork } from '../unit-of-work';
import { listPage, visibleWithLabels } from '../api/page';

/** Stacks and modules: register, list, read, relabel/move, remove. */
@Controller('v1/callers')
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
      recordAdminEvent(em, p, { action: 'caller.registered', ...callerTarget(row) });
      await reconcileCaller(em, p, row, tree, plan);
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
  async get(@CurrentPrincipal() p: Principal, @Param('id', UlidParamPipe) id: string) {
    return callerView(await visibleCaller(this.uow.read(), p, id));
  }

  /**
   * Relabels or moves a caller. A move keeps only attachments whose integration serves the new
   * space (a manual one that would not is a 409: detach it first) and verifies those again for the
   * caller in its new space (its OIDC `sub` names the space): 422 when one is no longer safe.
   */
  @Patch(':id')
  async update(
    @CurrentPrincipal() p: Principal,
    @Param('id', UlidParamPipe) id: string,
    @Body() body: unknown,
  ) {
    p.requireAdmin();
    const spec = input(updateCallerBody, body, 'caller update');
    if (spec.spaceId !== undefined) p.requireSpace(spec.spaceId);
    const em = this.uow.read();
    const current = await visibleCaller(em, p, id);
    const next = Object.assign(new Caller(), current, spec);
    const moved = next.spaceId !== current.spaceId;
    if (moved) await this.recheckAttachments(em, p, next);
    const plan = await this.planFor(p, next);
    const caller = await this.uow.write(`caller ${id}`, async (tx) => {
      const row = await visibleCaller(tx, p, id);
      if (row.spaceId !== current.spaceId)
        throw new RuntrailError('CONFLICT', `caller ${id} moved meanwhile; read it again and retry`);
      const tree = await SpaceTree.load(tx, p.account);
      if (spec.spaceId !== undefined && !tree.has(spec.spaceId)) unknownSpace(spec.spaceId);
      const before = { spaceId: row.spaceId, labels: [...row.labels] };
      tx.assign(row, {
        ...(spec.spaceId !== undefined ? { spaceId: spec.spaceId } : {}),
        ...(spec.labels !== undefined ? { labels: spec.labels } : {}),
      });
      const changes = changedFields(before, { spaceId: row.spaceId, labels: row.labels }, [
        'spaceId',
        'labels',
      ]);
      recordAdminEvent(tx, p, { action: 'caller.updated', ...callerTarget(row), changes });
      await reconcileCaller(tx, p, row, tree, plan);
      return row;
    });
    return { ...callerView(caller), autoattachRefused: plan.refused };
  }

  /** The attachments `caller`, moved, keeps must still be allowed by space and safe by verification. */
  private async recheckAttachments(em: EntityManager, p: Principal, caller: Caller): Promise<void> {
    const tree = await SpaceTree.load(em, p.account);
    if (!tree.has(caller.spaceId)) unknownSpace(caller.spaceId);
    const serving = new Set(tree.ancestorsOf(caller.spaceId));
    const attachments = await em.find(Attachment, { callerId: caller.id });
    const integrations = new Map(
      (await em.find(AwsIntegration, { id: { $in: attachments.map((a) => a.integrationId) } })).map((i) => [
        i.id,
        i,
      ]),
    );
    const stranded = attachments.filter(
      (a) => !a.autoattachLabel && !serving.has(integrations.get(a.integrationId)?.spaceId ?? ''),
    );
    if (stranded.length > 0) {
      throw new RuntrailError(
        'CONFLICT',
        `caller ${caller.id} is attached to ${stranded.length} integration(s) that do not serve space '${caller.spaceId}' ` +
          `(attachments ${stranded.map((a) => a.id).join(', ')}); detach them first`,
      );
    }
    for (const a of attachments) {
      const integration = integrations.get(a.integrationId);
      // Autoattached pairs the move takes out of the integration's space are detached by reconcile.
      if (!integration || !serving.has(integration.spaceId)) continue;
      await this.verification.requireSafe(em, {
        integration: integrationSnapshot(integration),
        attachment: { caller: verifiedCaller(caller), read: a.read, write: a.write },
      });
    }
  }

  /** Verifies the autoattach pairs `caller`, as it would be saved, newly makes. */
  private async planFor(p: Principal, caller: Caller) {
    const em = this.uow.read();
    const tree = await SpaceTree.load(em, p.account);
    if (!tree.has(caller.spaceId)) unknownSpace(caller.spaceId);
    // Only integrations this key may see: a key limited to `dev` cannot pull in a root integration.
    const integrations = (await em.find(AwsIntegration, { account: p.account })).filter((i) =>
      p.canSee(i.spaceId),
    );
    return planAutoattach(em, this.verification, tree, integrations, [caller]);
  }

  /** Removing a caller removes its attachments too (each announced as detached). */
  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentPrincipal() p: Principal, @Param('id', UlidParamPipe) id: string): Promise<void> {
    p.requireAdmin();
    await this.uow.write(`caller ${id}`, async (em) => {
      const row = await visibleCaller(em, p, id);
      for (const attachment of await em.find(Attachment, { callerId: row.id }))
        detach(em, p, attachment, row.spaceId);
      recordAdminEvent(em, p, { action: 'caller.removed', ...callerTarget(row) });
      em.remove(row);
    });
  }
}

async function visibleCaller(em: EntityManager, p: Principal, id: string): Promise<Caller> {
  const row = await em.findOne(Caller, { id, account: p.account });
  if (!row || !p.canSee(row.spaceId)) notFound(`caller ${id}`);
  return row;
}

/** A caller as admin records name it. */
function callerTarget(c: Caller): Pick<AdminChange, 'target' | 'spaceId'> {
  return { target: { type: 'caller', id: c.id, name: c.slug }, spaceId: c.spaceId };
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
