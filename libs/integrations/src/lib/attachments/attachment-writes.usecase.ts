import { Injectable } from '@nestjs/common';
import { RuntrailError } from '@runtrail/contracts';
import { attachBody, updateAttachmentBody } from '../api/api.schemas';
import { input, notFound } from '../api/request-input';
import type { Principal } from '../auth/principal';
import { attachmentPayload, integrationSnapshot } from '../aws-integrations/integration.view';
import { visibleIntegration } from '../aws-integrations/visible-integration';
import { changedFields, recordAdminEvent } from '../outbox/admin-event';
import { enqueue } from '../outbox/outbox';
import { SpaceTree } from '../spaces/space-tree';
import { Caller } from '../storage/caller.entity';
import { UnitOfWork } from '../unit-of-work';
import { VerificationClient } from '../verification/verification.client';
import { adminTarget, attach, detach } from './attachment.writes';
import { verifiedCaller } from './verified-attachments';
import { visibleAttachment } from './visible-attachment';

/** Attach (verified first, for this caller's external ids), change scopes (verified first), detach. */
@Injectable()
export class AttachmentWrites {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly verification: VerificationClient,
  ) {}

  async attach(p: Principal, integrationId: string, body: unknown) {
    p.requireAdmin();
    const spec = input(attachBody, body, 'attachment');
    const em = this.uow.read();
    const integration = await visibleIntegration(em, p, integrationId);
    const caller = await em.findOne(Caller, { id: spec.callerId, account: p.account });
    if (!caller || !p.canSee(caller.spaceId)) {
      throw new RuntrailError(
        'VALIDATION_FAILED',
        `caller ${spec.callerId} does not exist or is not visible to this API key`,
        [{ path: 'callerId', rule: 'must be a registered stack or module this API key may see' }],
      );
    }
    if (!(await SpaceTree.load(em, p.account)).ancestorsOf(caller.spaceId).includes(integration.spaceId)) {
      throw new RuntrailError(
        'VALIDATION_FAILED',
        `integration space '${integration.spaceId}' is not the caller's space or above it`,
        [{ path: 'callerId', rule: "must be in the integration's space or a space below it" }],
      );
    }
    const verdict = await this.verification.requireSafe(em, {
      integration: integrationSnapshot(integration),
      attachment: { caller: verifiedCaller(caller), read: spec.read, write: spec.write },
    });
    const row = await this.uow.write(
      `attachment of integration ${integrationId} to ${caller.slug}`,
      async (tx) => {
        const fresh = await tx.findOne(Caller, { id: caller.id });
        if (!fresh) notFound(`caller ${caller.id}`);
        return attach(tx, p, integrationId, fresh, { read: spec.read, write: spec.write }, null);
      },
    );
    return { ...attachmentPayload(row), verification: verdict };
  }

  async update(p: Principal, id: string, body: unknown) {
    p.requireAdmin();
    const patch = input(updateAttachmentBody, body, 'attachment update');
    const current = await visibleAttachment(this.uow.read(), p, id);
    const scopes = { read: patch.read ?? current.read, write: patch.write ?? current.write };
    if (!scopes.read && !scopes.write) {
      throw new RuntrailError(
        'VALIDATION_FAILED',
        'invalid attachment update: read: at least one of read and write must be true',
        [{ path: 'read', rule: 'at least one of read and write must be true' }],
      );
    }
    const em = this.uow.read();
    const integration = await visibleIntegration(em, p, current.integrationId);
    const caller = await em.findOneOrFail(Caller, { id: current.callerId });
    const verdict = await this.verification.requireSafe(em, {
      integration: integrationSnapshot(integration),
      attachment: { caller: verifiedCaller(caller), ...scopes },
    });
    const row = await this.uow.write(`attachment ${id}`, async (tx) => {
      const target = await visibleAttachment(tx, p, id);
      if (target.version !== current.version)
        throw new RuntrailError('CONFLICT', `attachment ${id} changed meanwhile; read it again and retry`);
      const changes = changedFields(target, { ...target, ...scopes }, ['read', 'write']);
      Object.assign(target, scopes, { version: target.version + 1 });
      enqueue(tx, {
        kind: 'attachment',
        payload: { type: 'attachment_updated', attachment: attachmentPayload(target) },
      });
      recordAdminEvent(tx, p, {
        action: 'attachment.updated',
        ...adminTarget(target, caller.spaceId),
        changes,
      });
      return target;
    });
    return { ...attachmentPayload(row), verification: verdict };
  }

  async detach(p: Principal, id: string): Promise<void> {
    p.requireAdmin();
    await this.uow.write(`attachment ${id}`, async (tx) => {
      const row = await visibleAttachment(tx, p, id);
      const caller = await tx.findOneOrFail(Caller, { id: row.callerId });
      detach(tx, p, row, caller.spaceId);
    });
  }
}
