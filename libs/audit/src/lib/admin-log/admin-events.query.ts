import type { AdminEvent } from '@runtrail/contracts';
import type { AuditDb, SqlParam } from '../storage/audit-db';
import { scopeSql, type AuditScope } from '../queries/audit-scope';
import { after, decodeCursor, toPage, type Page } from '../queries/cursor';
import { rowToAdminEvent } from './store-admin-event';

export interface AdminEventFilter {
  action?: AdminEvent['action'];
  actorKeyId?: string;
  targetType?: AdminEvent['target']['type'];
  targetId?: string;
  from?: Date;
  to?: Date;
}

const COLUMNS: Record<'action' | 'actorKeyId' | 'targetType' | 'targetId', string> = {
  action: 'action',
  actorKeyId: 'actor_key_id',
  targetType: 'target_type',
  targetId: 'target_id',
};

/**
 * An account's admin changes, newest first. A key limited to some spaces sees the changes made in
 * them, never account-level ones (`spaceId` null: the account, account-wide keys).
 */
export async function listAdminEvents(db: AuditDb, filter: AdminEventFilter, scope: AuditScope, cursorText?: string, limit = 100): Promise<Page<AdminEvent>> {
  const scoped = scopeSql(scope);
  const where: string[] = [scoped.sql];
  const params: SqlParam[] = [...scoped.params];
  for (const [field, column] of Object.entries(COLUMNS) as Array<[keyof typeof COLUMNS, string]>) {
    const value = filter[field];
    if (value === undefined) continue;
    where.push(`"${column}" = ?`);
    params.push(value);
  }
  if (filter.from) {
    where.push('"at" >= ?');
    params.push(filter.from.getTime());
  }
  if (filter.to) {
    where.push('"at" < ?');
    params.push(filter.to.getTime());
  }
  const page = after(decodeCursor(cursorText), 'at', 'id', true);
  where.push(page.sql);
  params.push(...page.params, limit + 1);
  const rows = await db.all(`select * from "admin_event" where ${where.join(' and ')} order by "at" desc, "id" desc limit ?`, params);
  return toPage(rows.map(rowToAdminEvent), limit, (e) => ({ t: Date.parse(e.at), id: e.id }));
}
