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
import { ProblemJsonFilter } from '@runtrail/bootstrap';
import { ulid as ulidSchema } from '@runtrail/contracts';
import { listQuery } from '../api/api.schemas';
import { input } from '../api/request-input';
import { listPage } from '../api/page';
import { ApiKeyGuard, CurrentPrincipal } from '../auth/api-key.guard';
import type { Principal } from '../auth/principal';
import { attachmentPayload } from '../aws-integrations/integration.view';
import { visibleIntegration } from '../aws-integrations/visible-integration';
import { IntegrationsConfig } from '../integrations.config';
import { Attachment } from '../storage/attachment.entity';
import { Caller } from '../storage/caller.entity';
import { UnitOfWork } from '../unit-of-work';
import { externalIdFor } from './attachment-external-ids';
import { AttachmentWrites } from './attachment-writes.usecase';
import { assumeRolePolicyStatement } from './trust-statement';
import { visibleAttachment } from './visible-attachment';

const attachmentListQuery = listQuery.extend({
  integrationId: ulidSchema.optional(),
  callerId: ulidSchema.optional(),
});

/** Attachments of integrations to stacks/modules, and their external ids. */
@Controller('v1')
@UseFilters(ProblemJsonFilter)
@UseGuards(ApiKeyGuard)
export class AttachmentsController {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly writes: AttachmentWrites,
    private readonly config: IntegrationsConfig,
  ) {}

  @Post('integrations/:id/attachments')
  attach(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: unknown) {
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
  async get(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    return attachmentPayload(await visibleAttachment(this.uow.read(), p, id));
  }

  @Patch('attachments/:id')
  update(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: unknown) {
    return this.writes.update(p, id, body);
  }

  @Delete('attachments/:id')
  @HttpCode(204)
  async detach(@CurrentPrincipal() p: Principal, @Param('id') id: string): Promise<void> {
    await this.writes.detach(p, id);
  }

  /** The equivalent of Spacelift's `spacelift_aws_integration_attachment_external_id` data source. */
  @Get('attachments/:id/external-id')
  async externalIds(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    const em = this.uow.read();
    const attachment = await visibleAttachment(em, p, id);
    const integration = await visibleIntegration(em, p, attachment.integrationId);
    const read = externalIdFor(integration, attachment, 'read');
    const write = externalIdFor(integration, attachment, 'write');
    const enabled = [
      ...(attachment.read ? [read] : []),
      ...(attachment.write && write !== read ? [write] : []),
    ];
    return {
      attachmentId: attachment.id,
      integrationId: integration.id,
      externalIds: { read, write },
      assume_role_policy_statement: assumeRolePolicyStatement(
        integration,
        this.config.platformAccountId,
        enabled,
      ),
    };
  }
}
