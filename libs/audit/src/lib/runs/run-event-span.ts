import type { AuditDb } from '../storage/audit-db';

/**
 * The `event_time` span of the calls linked to a run, kept on its `run` row (`first_event_at`,
 * `last_event_at`, both null while none is linked). The timeline reads the run's calls within it,
 * so on PostgreSQL only the monthly partitions of the span are planned and probed, not every month
 * kept. Every write that gives calls to a run widens it in the same transaction (ingest, backfill,
 * a late issuance linking its session tree); nothing narrows it: a call moved to another run or
 * dropped by retention leaves the span wider than needed, never too narrow.
 */
export class RunEventSpans {
  private readonly spans = new Map<string, { from: number; to: number }>();

  /** Notes a call at `time` (epoch ms) linked to `runId` (nothing for a call of no run). */
  add(runId: string | null, time: number): this {
    if (runId === null) return this;
    const span = this.spans.get(runId);
    if (!span) this.spans.set(runId, { from: time, to: time });
    else {
      span.from = Math.min(span.from, time);
      span.to = Math.max(span.to, time);
    }
    return this;
  }

  /** Widens the noted runs' spans (one UPDATE per run; the same SQL on both drivers). */
  async save(db: AuditDb): Promise<void> {
    for (const [runId, { from, to }] of this.spans) {
      await db.run(
        `update "run" set
          "first_event_at" = case when "first_event_at" is null or "first_event_at" > ? then ? else "first_event_at" end,
          "last_event_at" = case when "last_event_at" is null or "last_event_at" < ? then ? else "last_event_at" end
         where "run_id" = ?`,
        [from, from, to, to, runId],
      );
    }
    this.spans.clear();
  }
}

/** The columns, added by migration 20261208090000 (bigint on PostgreSQL, integer on SQLite). */
export function runEventSpanColumns(driver: 'sqlite' | 'postgres'): string[] {
  const big = driver === 'postgres' ? 'bigint' : 'integer';
  return [
    `alter table "run" add column "first_event_at" ${big} null`,
    `alter table "run" add column "last_event_at" ${big} null`,
  ];
}

/**
 * Sets every run's span from the calls stored (the migration's backfill; also after rows were
 * rewritten outside the store's write paths). Reads the `(run_id, event_time)` index twice per run.
 */
export const FILL_RUN_EVENT_SPANS = `update "run" set
  "first_event_at" = (select min(e."event_time") from "cloudtrail_event" e where e."run_id" = "run"."run_id"),
  "last_event_at" = (select max(e."event_time") from "cloudtrail_event" e where e."run_id" = "run"."run_id")`;
