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
import { RuntrailError, ulid as ulidSchema } from '@runtrail/contracts';
import { UlidParamPipe } from '../api/ulid-param.pipe';
import { externalIdsQuery, listQuery } from '../api/api.schemas';
import { input, notFound } from '../api/request-input';
import { listPage } from '../api/page';
import { ApiKeyGuard, CurrentPrincipal } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { attachmentPayload } from '../aws-integrations/integration.view';
import { visibleIntegration } from '../aws-integrations/visible-integration';
import { IntegrationsConfig } from '../integrations.config';
import { Attachment } from '../storage/attachment.entity';
import { SpaceTree } from '../spaces/space-tree';
import { Account } from '../storage/account.entity';
import { Caller } from '../storage/caller.entity';
import { UnitOfWork } from '../unit-of-work';
import { AttachmentWrites } from './attachment-writes.usecase';
import { externalIdsView } from './external-ids.view';
import { visibleAttachment } from './visible-attachment';

const attachmentListQuery = listQuery.extend({
  integrationId: ulidSchema.optional(),
  callerId: ulidSchema.optional(),
});

/** Attachments of integrations to stacks/modules, and their external ids. */
@Controller('v1')
@UseGuards(ApiKeyGuard)
export class AttachmentsController {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly writes: AttachmentWrites,
    private readonly config: IntegrationsConfig,
  ) {}

  @Post('integrations/:id/attachments')
  attach(@CurrentPrincipal() p: Principal, @Param('id', UlidParamPipe) id: string, @Body() body: unknown) {
    return this.writes.attach(p, id, body);
  }

  @Get('attachments')
  async list(@CurrentPrincipal() p: Principal, @Query() query: unknown) {
    const q = input(attachmentListQuery, query, 'query');
    const em = this.uow.read();
    const where = {
      account: p.account,
      ...(q.integrationId ? { integrationId: q.integrationId } : {}),
      ...(q.callerId ? { callerId: q.callerId } : {}),
    };
    const callers = new Map(
      (await em.find(Caller, { account: p.account }, { fields: ['id', 'spaceId'] })).map((c) => [
        c.id,
        c.spaceId,
      ]),
    );
    return listPage(
      em,
      Attachment,
      where,
      q,
      (a) => p.canSee(callers.get(a.callerId) ?? '\u0000'),
      attachmentPayload,
    );
  }

  @Get('attachments/:id')
  async get(@CurrentPrincipal() p: Principal, @Param('id', UlidParamPipe) id: string) {
    return attachmentPayload(await visibleAttachment(this.uow.read(), p, id));
  }

  @Patch('attachments/:id')
  update(@CurrentPrincipal() p: Principal, @Param('id', UlidParamPipe) id: string, @Body() body: unknown) {
    return this.writes.update(p, id, body);
  }

  @Delete('attachments/:id')
  @HttpCode(204)
  async detach(@CurrentPrincipal() p: Principal, @Param('id', UlidParamPipe) id: string): Promise<void> {
    await this.writes.detach(p, id);
  }

  /**
   * The equivalent of Spacelift's `spacelift_aws_integration_attachment_external_id` data source:
   * a caller's external ids and the statement to paste, before it is attached (the provider creates
   * the role from this, then attaches, which verifies).
   */
  @Get('integrations/:id/external-ids')
  async externalIdsFor(
    @CurrentPrincipal() p: Principal,
    @Param('id', UlidParamPipe) id: string,
    @Query() query: unknown,
  ) {
    const q = input(externalIdsQuery, query, 'query');
    const em = this.uow.read();
    const integration = await visibleIntegration(em, p, id);
    const where = q.callerId
      ? { id: q.callerId }
      : { type: q.stack ? ('stack' as const) : ('module' as const), slug: q.stack ?? q.module ?? '' };
    const caller = await em.findOne(Caller, { ...where, account: p.account });
    const named = q.callerId
      ? `caller ${q.callerId}`
      : `${q.stack ? 'stack' : 'module'} ${q.stack ?? q.module}`;
    if (!caller || !p.canSee(caller.spaceId)) notFound(named);
    if (!(await SpaceTree.load(em, p.account)).ancestorsOf(caller.spaceId).includes(integration.spaceId)) {
      throw new RuntrailError(
        'VALIDATION_FAILED',
        `${named} is in space '${caller.spaceId}', outside integration space '${integration.spaceId}' and the spaces below it`,
        [
          {
            path: q.callerId ? 'callerId' : q.stack ? 'stack' : 'module',
            rule: "must be in the integration's space or a space below it",
          },
        ],
      );
    }
    const scopes = { read: q.read === 'true', write: q.write === 'true' };
    return {
      integrationId: integration.id,
      caller: { type: caller.type, id: caller.id, slug: caller.slug, spaceId: caller.spaceId },
      ...externalIdsView(
        integration,
        { account: caller.account, callerSlug: caller.slug, type: caller.type, spaceId: caller.spaceId },
        scopes,
        this.config.platformAccountId,
        this.config.oidc && {
          ...this.config.oidc,
          accountAudience: (await em.findOne(Account, { slug: p.account }))?.oidcAudience ?? null,
        },
      ),
    };
  }

  /**
   * An existing attachment's external ids and statement (kept for clients of the first API; the
   * provider's order uses `GET /v1/integrations/{id}/external-ids`, which needs no attachment).
   */
  @Get('attachments/:id/external-id')
  async externalIds(@CurrentPrincipal() p: Principal, @Param('id', UlidParamPipe) id: string) {
    const em = this.uow.read();
    const attachment = await visibleAttachment(em, p, id);
    const integration = await visibleIntegration(em, p, attachment.integrationId);
    const view = externalIdsView(integration, attachment, attachment, this.config.platformAccountId);
    return {
      attachmentId: attachment.id,
      integrationId: integration.id,
      externalIds: { read: view.read, write: view.write },
      assume_role_policy_statement: view.statement,
    };
  }
}
