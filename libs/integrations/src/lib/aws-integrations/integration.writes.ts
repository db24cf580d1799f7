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
import { input, notFound } from '../api/request-input';
import { unknownSpace, type Principal } from '../auth/principal';
import { detach } from '../attachments/attachment.writes';
import { planAutoattach, reconcileIntegration } from '../attachments/autoattach';
import { attachmentsToVerify } from '../attachments/verified-attachments';
import { changedFields, recordAdminEvent } from '../outbox/admin-event';
import { enqueue } from '../outbox/outbox';
import { SpaceTree } from '../spaces/space-tree';
import { Attachment } from '../storage/attachment.entity';
import { Caller } from '../storage/caller.entity';
import { AwsIntegration } from '../storage/integration.entity';
import { UnitOfWork } from '../unit-of-work';
import { reasonsOf } from '../verification/apply-verdict';
import { reverifyIntegration } from '../verification/reverify-integration';
import { VerificationClient } from '../verification/verification.client';
import { checkIntegrationRules } from './integration.rules';
import { integrationSnapshot, integrationTarget, integrationView } from './integration.view';
import { visibleIntegration } from './visible-integration';

/** Fields whose change can make a verified role unsafe or unusable, so attachments are verified again. */
const VERIFIED_FIELDS = [
  'roleArn',
  'durationSeconds',
  'region',
  'mode',
  'sessionTagging',
  'sourceIdentity',
  'customExternalId',
] as const satisfies ReadonlyArray<keyof IntegrationFields>;

/**
 * Create, update, delete and re-verify integrations. Creating validates and stores without
 * touching AWS (the role may not exist yet: Spacelift's provider creates the integration first);
 * AWS is asked at attach time, for each caller. An update that changes the role or how it is
 * assumed is verified again for every caller it is attached to, before anything is written.
 * Autoattach pairs are verified before the transaction; the transaction re-checks what may have
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
    const em = this.uow.read();
    const tree = await this.requireSpace(em, p, fields.spaceId);
    const snapshot: IntegrationSnapshot = {
      id: ulid(),
      account: p.account,
      ...fields,
      healthy: true,
      version: 1,
    };
    const plan = await this.planFor(em, tree, proposedRow(snapshot));
    const row = await this.uow.write(`integration '${fields.name}'`, async (tx) => {
      const fresh = await this.requireSpace(tx, p, fields.spaceId);
      const created = tx.create(AwsIntegration, { ...snapshot, healthReasons: [], lastVerifiedAt: null });
      enqueue(tx, {
        kind: 'integration',
        payload: { type: 'created', integration: integrationSnapshot(created) },
      });
      recordAdminEvent(tx, p, { action: 'integration.created', ...integrationTarget(created) });
      await reconcileIntegration(tx, p, created, fresh, plan);
      return created;
    });
    return { ...integrationView(row), autoattachRefused: plan.refused };
  }

  async update(p: Principal, id: string, body: unknown) {
    p.requireAdmin();
    const patch = input(updateIntegrationBody, body, 'integration update');
    const em = this.uow.read();
    const current = await visibleIntegration(em, p, id);
    const {
      id: _id,
      account: _account,
      healthy: _healthy,
      version,
      ...stored
    } = integrationSnapshot(current);
    const fields: IntegrationFields = input(integrationFieldsSchema, { ...stored, ...patch }, 'integration');
    checkIntegrationRules(fields);
    const tree = await this.requireSpace(em, p, fields.spaceId);
    const next: IntegrationSnapshot = {
      id,
      account: p.account,
      ...fields,
      healthy: true,
      version: version + 1,
    };
    if (fields.spaceId !== stored.spaceId) await requireServedCallers(em, id, tree, fields.spaceId);
    const reverify = VERIFIED_FIELDS.some((f) => fields[f] !== stored[f]);
    const attached = reverify ? await attachmentsToVerify(em, id) : [];
    const verdicts = attached.length > 0 ? await this.verification.requireAllSafe(em, next, attached) : null;
    const plan = await this.planFor(em, tree, proposedRow(next));
    const row = await this.uow.write(`integration '${fields.name}'`, async (tx) => {
      const fresh = await this.requireSpace(tx, p, fields.spaceId);
      const target = await visibleIntegration(tx, p, id);
      if (target.version !== version) {
        throw new RuntrailError(
          'CONFLICT',
          `integration ${id} changed while it was being verified; read it again and retry`,
        );
      }
      tx.assign(target, {
        ...fields,
        ...(verdicts
          ? { healthy: true, healthReasons: reasonsOf(verdicts.combined), lastVerifiedAt: new Date() }
          : {}),
        ...(reverify && !verdicts ? { lastVerifiedAt: null, healthReasons: [] } : {}),
        version: version + 1,
      });
      enqueue(tx, {
        kind: 'integration',
        payload: { type: 'updated', integration: integrationSnapshot(target) },
      });
      recordAdminEvent(tx, p, {
        action: 'integration.updated',
        ...integrationTarget(target),
        changes: changedFields(stored, fields, Object.keys(fields) as Array<keyof IntegrationFields>),
      });
      await reconcileIntegration(tx, p, target, fresh, plan);
      return target;
    });
    return {
      ...integrationView(row),
      verification: verdicts?.combined ?? null,
      autoattachRefused: plan.refused,
    };
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
      const callers = await em.find(Caller, { id: { $in: attachments.map((a) => a.callerId) } });
      const spaceOf = new Map(callers.map((c) => [c.id, c.spaceId]));
      for (const attachment of attachments)
        detach(em, p, attachment, spaceOf.get(attachment.callerId) ?? row.spaceId);
      row.version += 1;
      enqueue(em, {
        kind: 'integration',
        payload: { type: 'deleted', integration: integrationSnapshot(row) },
      });
      recordAdminEvent(em, p, { action: 'integration.deleted', ...integrationTarget(row) });
      em.remove(row);
    });
  }

  /** Verifies the integration for each attached caller now and records its health, whatever the verdict. */
  async reverify(p: Principal, id: string) {
    p.requireAdmin();
    const current = await visibleIntegration(this.uow.read(), p, id);
    const result = await reverifyIntegration(this.uow, this.verification, current, p);
    if (!result) notFound(`integration ${id}`);
    return {
      integration: integrationView(result.row),
      verdict: result.verdicts.combined,
      attachments: result.verdicts.perAttachment.map(({ attachment, verdict }) => ({
        caller: attachment.caller,
        read: attachment.read,
        write: attachment.write,
        verdict,
      })),
    };
  }

  /** Verifies the autoattach pairs `integration`, as it would be saved, newly makes. */
  private async planFor(em: EntityManager, tree: SpaceTree, integration: AwsIntegration) {
    const callers = await em.find(Caller, { account: integration.account });
    return planAutoattach(em, this.verification, tree, [integration], callers);
  }

  private async requireSpace(em: EntityManager, p: Principal, spaceId: string): Promise<SpaceTree> {
    p.requireSpace(spaceId);
    const tree = await SpaceTree.load(em, p.account);
    if (!tree.has(spaceId)) unknownSpace(spaceId);
    return tree;
  }
}

/** An integration as it would be stored, for autoattach planning before the transaction. */
function proposedRow(snapshot: IntegrationSnapshot): AwsIntegration {
  return Object.assign(new AwsIntegration(), snapshot, { healthReasons: [], lastVerifiedAt: null });
}

/**
 * Moving an integration keeps its manual attachments only when every attached caller is in the new
 * space or below it; otherwise 409 (detach them first). Autoattached ones follow the move by
 * themselves (reconcile detaches them).
 */
async function requireServedCallers(
  em: EntityManager,
  id: string,
  tree: SpaceTree,
  spaceId: string,
): Promise<void> {
  const manual = await em.find(Attachment, { integrationId: id, autoattachLabel: null });
  if (manual.length === 0) return;
  const callers = await em.find(Caller, { id: { $in: manual.map((a) => a.callerId) } });
  const stranded = callers.filter((c) => !tree.ancestorsOf(c.spaceId).includes(spaceId));
  if (stranded.length > 0) {
    throw new RuntrailError(
      'CONFLICT',
      `integration ${id} is attached to ${stranded.length} caller(s) outside space '${spaceId}' and the spaces below it ` +
        `(callers ${stranded.map((c) => c.id).join(', ')}); detach them first`,
    );
  }
}
