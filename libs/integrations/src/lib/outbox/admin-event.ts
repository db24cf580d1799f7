import type { EntityManager } from '@mikro-orm/core';
import type { AdminAction, AdminEvent } from '@runtrail/contracts';
import { ulid } from 'ulid';
import type { Principal } from '../auth/principal';
import { enqueue } from './outbox';

/** Who makes an admin change: an API key (a {@link Principal}), or the bootstrap token for an account. */
export type ChangeActor =
  Pick<Principal, 'account' | 'keyId' | 'role'> | { account: string; bootstrap: true };

/** The account-creation actor: whoever held `INTEGRATIONS_BOOTSTRAP_TOKEN`. */
export function bootstrapActor(account: string): ChangeActor {
  return { account, bootstrap: true };
}

/** What an admin change touched; `spaceId` null for account-level things. */
export interface AdminChange {
  action: AdminAction;
  target: AdminEvent['target'];
  spaceId: string | null;
  /** Names of the fields that changed (never values). */
  changes?: string[];
  autoattachLabel?: string | null;
}

/**
 * Enqueues `integrations.v1.admin.<action>` in the caller's transaction, so the record exists if
 * and only if the change does. Only ids, names and field names go in: never a secret.
 */
export function recordAdminEvent(em: EntityManager, actor: ChangeActor, change: AdminChange): void {
  const payload: AdminEvent = {
    id: ulid(),
    account: actor.account,
    actor: 'bootstrap' in actor ? { bootstrap: true } : { keyId: actor.keyId, role: actor.role },
    action: change.action,
    target: change.target,
    spaceId: change.spaceId,
    at: new Date().toISOString(),
    ...(change.changes ? { changes: change.changes } : {}),
    ...(change.autoattachLabel ? { autoattachLabel: change.autoattachLabel } : {}),
  };
  enqueue(em, { kind: 'admin', payload });
}

/** The names of `fields` whose values differ between `before` and `after` (arrays compared by content). */
export function changedFields<T extends object>(
  before: T,
  after: T,
  fields: ReadonlyArray<keyof T & string>,
): string[] {
  return fields.filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]));
}
