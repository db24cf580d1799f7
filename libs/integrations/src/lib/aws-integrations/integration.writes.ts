import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { RuntrailError, type IntegrationSnapshot } from '@runtrail/contracts';
import { ulid } from 'ulid';
import {
  createIntegrationBody,
  integrationFieldsSchema,
  updateIntegrationBody,
  type IntegrationFields,
} from '../api/api.schemas';
import { input } from '../api/request-input';
import { unknownSpace, type Principal } from '../auth/principal';
import { detach } from '../attachments/attachment.writes';
import { reconcileIntegration } from '../attachments/autoattach';
import { enqueue } from '../outbox/outbox';
import { SpaceTree } from '../spaces/space-tree';
import { Attachment } from '../storage/attachment.entity';
import { AwsIntegration } from '../storage/integration.entity';
import { UnitOfWork } from '../unit-of-work';
import { applyVerdict } from '../verification/apply-verdict';
import { VerificationClient } from '../verification/verification.client';
import { checkIntegrationRules } from './integration.rules';
import { integrationSnapshot, integrationView } from './integration.view';
import { visibleIntegration } from './visible-integration';

/**
 * Create, update, delete and re-verify integrations. Input is validated and the role verified
 * before the transaction opens, so a refusal never writes; the transaction re-checks what may have
 * changed meanwhile (the space, the row's version).
 */
@Injectable()
export class IntegrationWrites {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly verification: VerificationClient,
  ) {}

  async create(p: Principal, body: unknown) {
    p.requireAdmin();
    // Defaults first, then the rules every stored integration obeys (shared with update).
    const fields = input(
      integrationFieldsSchema,
      input(createIntegrationBody, body, 'integration'),
      'integration',
    );
    checkIntegrationRules(fields);
    await this.requireSpace(this.uow.read(), p, fields.spaceId);
    const id = ulid();
    const snapshot: IntegrationSnapshot = { id, account: p.account, ...fields, healthy: true, version: 1 };
    const verdict = await this.verification.requireSafe({ integration: snapshot });
    const row = await this.uow.write(`integration '${fields.name}'`, async (em) => {
      const tree = await this.requireSpace(em, p, fields.spaceId);
      const created = em.create(AwsIntegration, {
        ...snapshot,
        healthReasons: [],
        lastVerifiedAt: new Date(),
      });
      enqueue(em, {
        kind: 'integration',
        payload: { type: 'created', integration: integrationSnapshot(created) },
      });
      await reconcileIntegration(em, created, tree);
      return created;
    });
    return { ...integrationView(row), verification: verdict };
  }

  async update(p: Principal, id: string, body: unknown) {
    p.requireAdmin();
    const patch = input(updateIntegrationBody, body, 'integration update');
    const current = await visibleIntegration(this.uow.read(), p, id);
    const {
      id: _id,
      account: _account,
      healthy: _healthy,
      version,
      ...stored
    } = integrationSnapshot(current);
    const fields: IntegrationFields = input(integrationFieldsSchema, { ...stored, ...patch }, 'integration');
    checkIntegrationRules(fields);
    await this.requireSpace(this.uow.read(), p, fields.spaceId);
    const next: IntegrationSnapshot = {
      id,
      account: p.account,
      ...fields,
      healthy: true,
      version: version + 1,
    };
    const verdict = await this.verification.requireSafe({ integration: next });
    const row = await this.uow.write(`integration '${fields.name}'`, async (em) => {
      const tree = await this.requireSpace(em, p, fields.spaceId);
      const target = await visibleIntegration(em, p, id);
      if (target.version !== version) {
        throw new RuntrailError(
          'CONFLICT',
          `integration ${id} changed while it was being verified; read it again and retry`,
        );
      }
      em.assign(target, {
        ...fields,
        healthy: true,
        healthReasons: [],
        lastVerifiedAt: new Date(),
        version: version + 1,
      });
      enqueue(em, {
        kind: 'integration',
        payload: { type: 'updated', integration: integrationSnapshot(target) },
      });
      await reconcileIntegration(em, target, tree);
      return target;
    });
    return { ...integrationView(row), verification: verdict };
  }

  /** @throws RuntrailError `CONFLICT` while attached, unless `force` (which detaches first). */
  async remove(p: Principal, id: string, force: boolean): Promise<void> {
    p.requireAdmin();
    await this.uow.write(`integration ${id}`, async (em) => {
      const row = await visibleIntegration(em, p, id);
      const attachments = await em.find(Attachment, { integrationId: id });
      if (attachments.length > 0 && !force) {
        throw new RuntrailError(
          'CONFLICT',
          `integration ${id} is attached to ${attachments.length} caller(s); detach them first or delete with ?force=true`,
        );
      }
      for (const attachment of attachments) detach(em, attachment);
      row.version += 1;
      enqueue(em, {
        kind: 'integration',
        payload: { type: 'deleted', integration: integrationSnapshot(row) },
      });
      em.remove(row);
    });
  }

  async reverify(p: Principal, id: string) {
    p.requireAdmin();
    const current = await visibleIntegration(this.uow.read(), p, id);
    const verdict = await this.verification.verdict({ integration: integrationSnapshot(current) });
    const row = await this.uow.write(`integration ${id}`, async (em) => {
      const target = await visibleIntegration(em, p, id);
      applyVerdict(em, target, verdict, new Date(), current.version);
      return target;
    });
    return { integration: integrationView(row), verdict };
  }

  private async requireSpace(em: EntityManager, p: Principal, spaceId: string): Promise<SpaceTree> {
    p.requireSpace(spaceId);
    const tree = await SpaceTree.load(em, p.account);
    if (!tree.has(spaceId)) unknownSpace(spaceId);
    return tree;
  }
}
