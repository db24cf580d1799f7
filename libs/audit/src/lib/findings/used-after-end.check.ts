import { AuditDb, num, numOrNull, str } from '../storage/audit-db';
import { usedAfterRunEnded } from './batch-findings';
import type { NewFinding } from './finding.store';

/**
 * Calls made with a run's credentials after the run ended, found in the store: needed when the
 * run's end arrives after the calls were ingested, or when calls are linked late (backfill).
 * Reads the `(run_id, event_time)` index from the end time to the run's last call (on PostgreSQL,
 * only the months between them).
 */
export async function findUsedAfterEnd(db: AuditDb, runId: string): Promise<NewFinding[]> {
  const [run] = await db.all(`select "account", "ended_at", "last_event_at" from "run" where "run_id" = ? and "ended_at" is not null`, [runId]);
  if (!run) return [];
  const endedAt = num(run['ended_at']);
  // The run's event span (run-event-span.ts) ends before the run did: nothing to read.
  const lastCall = numOrNull(run['last_event_at']);
  if (lastCall === null || lastCall <= endedAt) return [];
  const rows = await db.all(
    `select "event_id", "event_time", "event_name", "access_key_id", "principal_arn", "recipient_account_id"
       from "cloudtrail_event" where "run_id" = ? and "event_time" > ? and "event_time" <= ? order by "event_time" limit 200`,
    [runId, endedAt, lastCall],
  );
  const byCredential = new Map<string, NewFinding>();
  for (const row of rows) {
    const who = str(row['access_key_id']) ?? str(row['principal_arn']) ?? 'unknown';
    if (byCredential.has(who)) continue;
    byCredential.set(who, usedAfterRunEnded(String(row['event_id']), runId, String(run['account']), who, String(row['event_name']),
      new Date(num(row['event_time'])), endedAt, str(row['recipient_account_id'])));
  }
  return [...byCredential.values()];
}
