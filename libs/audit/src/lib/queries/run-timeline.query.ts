import { RuntrailError, type RunTimeline } from '@runtrail/contracts';
import { num, numOrNull, str, type AuditDb } from '../storage/audit-db';
import { scopeSql, type AuditScope } from './audit-scope';
import { after, decodeCursor, toPage } from './cursor';
import { EVENT_VIEW_COLUMNS, eventPosition, toEventView } from './event-view';

export type { RunTimeline };

// Named, not `*`: the statements are prepared, and a prepared `*` breaks when a migration adds a column.
const RUN_COLUMNS = columns('account', 'space_id', 'caller_type', 'caller_id', 'caller_slug', 'run_type', 'ended_at', 'end_phase',
  'first_event_at', 'last_event_at');
const ISSUANCE_COLUMNS = columns('integration_id', 'role_arn', 'phase', 'scope', 'mode', 'access_key_id', 'session_name', 'issued_at',
  'expires_at', 'assume_event_id');

function columns(...names: string[]): string {
  return names.map((c) => `"${c}"`).join(', ');
}

/**
 * A run's timeline: phases, issuances and every AWS call linked to it, in time order. Events are
 * paged on `(run_id, event_time, event_id)`, one index range per page, bounded by the run's event
 * span (run-event-span.ts) so that PostgreSQL plans and reads only the monthly partitions the
 * run's calls fall in; the bound holds every linked call, so pages and cursors are those of the
 * unbounded query.
 */
export async function runTimeline(db: AuditDb, runId: string, scope: AuditScope, cursorText?: string, limit = 100): Promise<RunTimeline> {
  const s = scopeSql(scope);
  const [run] = await db.prepared(`select ${RUN_COLUMNS} from "run" where "run_id" = ? and ${s.sql}`, [runId, ...s.params]);
  if (!run) throw new RuntrailError('NOT_FOUND', `run ${runId}: no such run in account ${scope.account}`);
  const cursor = decodeCursor(cursorText);
  const page = after(cursor, 'event_time', 'event_id', false);
  const span = eventSpan(run);
  const [phases, issuances, events] = [
    await db.prepared(`select "phase", "at" from "run_phase" where "run_id" = ? order by "at"`, [runId]),
    await db.prepared(`select ${ISSUANCE_COLUMNS} from "issuance" where "run_id" = ? order by "issued_at"`, [runId]),
    span === 'none'
      ? []
      : await db.prepared(
        `select ${EVENT_VIEW_COLUMNS} from "cloudtrail_event" where "run_id" = ? and ${span.sql} and ${page.sql}
          order by "event_time", "event_id" limit ?`,
        [runId, ...span.params, ...page.params, limit + 1],
      ),
  ];
  const endedAt = numOrNull(run['ended_at']);
  return {
    run: {
      runId, account: String(run['account']), spaceId: String(run['space_id']), callerType: String(run['caller_type']),
      callerId: String(run['caller_id']), callerSlug: String(run['caller_slug']), runType: String(run['run_type']),
      endedAt: endedAt === null ? null : new Date(endedAt).toISOString(), endPhase: str(run['end_phase']),
    },
    phases: phases.map((p) => ({ phase: String(p['phase']), at: new Date(num(p['at'])).toISOString() })),
    issuances: issuances.map((i) => ({
      integrationId: String(i['integration_id']), roleArn: String(i['role_arn']), phase: String(i['phase']), scope: String(i['scope']),
      mode: String(i['mode']), accessKeyId: str(i['access_key_id']), sessionName: String(i['session_name']),
      issuedAt: new Date(num(i['issued_at'])).toISOString(), expiresAt: new Date(num(i['expires_at'])).toISOString(),
      seenInTrail: i['assume_event_id'] !== null,
    })),
    events: toPage(events.map(toEventView), limit, eventPosition),
  };
}

/** The `event_time` condition of a run's calls, or `'none'` when no call is linked to it. */
function eventSpan(run: Record<string, unknown>): 'none' | { sql: string; params: number[] } {
  const [first, last] = [numOrNull(run['first_event_at']), numOrNull(run['last_event_at'])];
  if (first === null || last === null) return 'none';
  return { sql: '"event_time" between ? and ?', params: [first, last] };
}
