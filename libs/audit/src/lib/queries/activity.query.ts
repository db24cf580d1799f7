import type { AuditDb, SqlParam } from '../storage/audit-db';
import { scopeSql, type AuditScope } from './audit-scope';
import { after, decodeCursor, toPage, type Page } from './cursor';
import { EVENT_VIEW_COLUMNS, eventPosition, toEventView, type EventView } from './event-view';

/** Filters of the activity list; all optional, combined with AND. */
export interface ActivityFilter {
  runId?: string;
  spaceId?: string;
  /** A stack's or module's id. */
  callerId?: string;
  awsAccountId?: string;
  eventName?: string;
  /** true: refused calls only (denied AssumeRole attempts among them); false: successful only. */
  denied?: boolean;
  from?: Date;
  to?: Date;
}

/**
 * Activity of an account's runs, newest first, filtered by run, stack/module, space, AWS account,
 * action, outcome and time. The leading equality filter picks the index (`caller_id`, `space_id`,
 * `run_id` or `account`, each followed by `event_time, event_id`).
 */
export async function activity(db: AuditDb, filter: ActivityFilter, scope: AuditScope, cursorText?: string, limit = 100): Promise<Page<EventView>> {
  const where: string[] = [];
  const params: SqlParam[] = [];
  const s = scopeSql(scope);
  where.push(s.sql);
  params.push(...s.params);
  const eq = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    where.push(`"${column}" = ?`);
    params.push(value);
  };
  eq('run_id', filter.runId);
  eq('space_id', filter.spaceId);
  eq('caller_id', filter.callerId);
  eq('recipient_account_id', filter.awsAccountId);
  eq('event_name', filter.eventName);
  if (filter.denied !== undefined) where.push(filter.denied ? '"error_code" is not null' : '"error_code" is null');
  if (filter.from) {
    where.push('"event_time" >= ?');
    params.push(filter.from.getTime());
  }
  if (filter.to) {
    where.push('"event_time" < ?');
    params.push(filter.to.getTime());
  }
  const page = after(decodeCursor(cursorText), 'event_time', 'event_id', true);
  where.push(page.sql);
  params.push(...page.params, limit + 1);
  const rows = await db.all(
    `select ${EVENT_VIEW_COLUMNS} from "cloudtrail_event" where ${where.join(' and ')} order by "event_time" desc, "event_id" desc limit ?`,
    params,
  );
  return toPage(rows.map(toEventView), limit, eventPosition);
}
