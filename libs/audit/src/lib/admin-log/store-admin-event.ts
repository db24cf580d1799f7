import type { AdminEvent } from '@runtrail/contracts';
import { json, num, str, type AuditDb, type SqlRow } from '../storage/audit-db';

/**
 * Stores one admin change, once: a redelivered or re-published event (same id) changes nothing.
 * Called by the `integrations.v1.admin.*` consumer; audit's own admin writes (trail sources, when
 * they come) call it inside their transaction with the same shape, actor and all.
 */
export async function storeAdminEvent(db: AuditDb, e: AdminEvent): Promise<void> {
  const key = 'keyId' in e.actor ? e.actor : null;
  await db.run(
    `insert into "admin_event" ("id", "account", "at", "action", "actor_key_id", "actor_role", "target_type", "target_id",
      "target_name", "space_id", "changes", "autoattach_label") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      on conflict ("id") do nothing`,
    [e.id, e.account, Date.parse(e.at), e.action, key?.keyId ?? null, key?.role ?? null, e.target.type, e.target.id,
      e.target.name ?? null, e.spaceId, e.changes ? JSON.stringify(e.changes) : null, e.autoattachLabel ?? null],
  );
}

/** A stored row in the event's own shape (what the API answers). */
export function rowToAdminEvent(row: SqlRow): AdminEvent {
  const keyId = str(row['actor_key_id']);
  const name = str(row['target_name']);
  const changes = json<string[]>(row['changes']);
  const label = str(row['autoattach_label']);
  return {
    id: String(row['id']),
    account: String(row['account']),
    actor: keyId ? { keyId, role: String(row['actor_role']) as 'admin' | 'reader' | 'scheduler' } : { bootstrap: true },
    action: String(row['action']) as AdminEvent['action'],
    target: { type: String(row['target_type']) as AdminEvent['target']['type'], id: String(row['target_id']), ...(name ? { name } : {}) },
    spaceId: str(row['space_id']),
    at: new Date(num(row['at'])).toISOString(),
    ...(changes ? { changes } : {}),
    ...(label ? { autoattachLabel: label } : {}),
  };
}
