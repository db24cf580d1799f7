import type { AuditDb } from '../storage/audit-db';
import { scopeSql, type AuditScope } from './audit-scope';
import { after, decodeCursor, toPage, type Page } from './cursor';
import { EVENT_VIEW_COLUMNS, eventPosition, toEventView, type EventView } from './event-view';

/**
 * "Who changed resource X": the mutating calls that named X (by ARN or by name), newest first,
 * each with its run. Reads the `event_resource` primary key `(resource, event_time, event_id)`,
 * so a page costs one index range whatever the store's size. The join names the event's time as
 * well as its id (an `event_resource` row carries its event's time): on PostgreSQL each row then
 * reads the one monthly partition of `cloudtrail_event` that holds its event, not every month;
 * and the months' index ranges are merged in order, never sorted (a busy resource's page still
 * reads about `limit` rows).
 */
export async function whoChanged(db: AuditDb, resource: string, scope: AuditScope, cursorText?: string, limit = 100): Promise<Page<EventView>> {
  const page = after(decodeCursor(cursorText), 'event_time', 'event_id', true);
  const s = scopeSql(scope, 'e');
  const columns = EVENT_VIEW_COLUMNS.split(', ').map((c) => `e.${c}`).join(', ');
  const rows = await db.prepared(
    `select ${columns} from "event_resource" r join "cloudtrail_event" e on e."event_id" = r."event_id" and e."event_time" = r."event_time"
      where r."resource" = ? and ${page.sql.replace(/"event_(time|id)"/g, 'r."event_$1"')} and ${s.sql}
      order by r."event_time" desc, r."event_id" desc limit ?`,
    [resource, ...page.params, ...s.params, limit + 1],
    { readIndexOrder: true },
  );
  return toPage(rows.map(toEventView), limit, eventPosition);
}
