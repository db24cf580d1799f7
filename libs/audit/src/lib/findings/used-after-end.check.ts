import { AuditDb, num, str } from '../storage/audit-db';
import { usedAfterRunEnded } from './batch-findings';
import type { NewFinding } from './finding.store';

/**
 * Calls made with a run's credentials after the run ended, found in the store: needed when the
 * run's end arrives after the calls were ingested, or when calls are linked late (backfill).
 * Reads the `(run_id, event_time)` index from the end time on.
 */
export async function findUsedAfterEnd(db: AuditDb, runId: string): Promise<NewFinding[]> {
  const [run] = await db.all(`select "account", "ended_at" from "run" where "run_id" = ? and "ended_at" is not null`, [runId]);
  if (!run) return [];
  const endedAt = num(run['ended_at']);
  const rows = await db.all(
    `select "event_id", "event_time", "event_name", "access_key_id", "principal_arn", "recipient_account_id"
       from "cloudtrail_event" where "run_id" = ? and "event_time" > ? order by "event_time" limit 200`,
    [runId, endedAt],
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
