import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  ResolveIntegrationsRequest,
  RuntrailError,
  type RequestOf,
  type ResolveIntegrationsReply,
} from '@runtrail/contracts';
import { OnRequest } from '@runtrail/messaging';
import { externalIdFor } from '../attachments/attachment-external-ids';
import { integrationSnapshot } from '../aws-integrations/integration.view';
import { SpaceTree } from '../spaces/space-tree';
import { Account } from '../storage/account.entity';
import { Attachment } from '../storage/attachment.entity';
import { Caller } from '../storage/caller.entity';
import { AwsIntegration } from '../storage/integration.entity';
import { UnitOfWork } from '../unit-of-work';

/** Answers `integrations.v1.resolve` for the credential broker: the integrations a caller gets for a scope. */
@Controller()
export class ResolveIntegrationsHandler {
  constructor(private readonly uow: UnitOfWork) {}

  @OnRequest(ResolveIntegrationsRequest)
  async resolve(
    @Payload() request: RequestOf<typeof ResolveIntegrationsRequest>,
  ): Promise<ResolveIntegrationsReply> {
    const em = this.uow.read();
    const caller = await em.findOne(Caller, {
      id: request.callerId,
      account: request.account,
      type: request.callerType,
    });
    if (!caller)
      throw new RuntrailError(
        'NOT_FOUND',
        `${request.callerType} ${request.callerId} is not registered in account ${request.account}`,
      );
    const attachments = await em.find(
      Attachment,
      { callerId: caller.id, [request.scope]: true },
      { orderBy: { id: 'asc' } },
    );
    // Only integrations of the caller's space or above it serve it: an attachment left behind by a
    // move (or written around the API) gives nothing.
    const ancestors = new Set((await SpaceTree.load(em, request.account)).ancestorsOf(caller.spaceId));
    const integrations = await em.find(AwsIntegration, {
      id: { $in: attachments.map((a) => a.integrationId) },
      account: request.account,
    });
    const byId = new Map(integrations.filter((i) => ancestors.has(i.spaceId)).map((i) => [i.id, i]));
    const account = await em.findOne(Account, { slug: request.account }, { fields: ['oidcAudience'] });
    return {
      ...(account?.oidcAudience ? { oidcAudience: account.oidcAudience } : {}),
      caller: {
        type: caller.type,
        id: caller.id,
        slug: caller.slug,
        spaceId: caller.spaceId,
        labels: caller.labels,
      },
      integrations: attachments.flatMap((a) => {
        const integration = byId.get(a.integrationId);
        if (!integration) return [];
        return [
          {
            integration: integrationSnapshot(integration),
            attachmentId: a.id,
            externalId: externalIdFor(integration, a, request.scope),
          },
        ];
      }),
    };
  }
}
