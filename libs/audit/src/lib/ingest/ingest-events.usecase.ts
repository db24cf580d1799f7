import type { NormalizedEvent } from '@runtrail/cloudtrail';
import { runtrailCounter } from '@runtrail/telemetry';
import { correlateBatch, type BatchCorrelation } from '../correlation/correlate-batch';
import { CorrelationContext } from '../correlation/correlation-context';
import type { KnownSession } from '../correlation/correlation.types';
import { batchFindings, type BatchFindingRules } from '../findings/batch-findings';
import type { FindingStore, NewFinding } from '../findings/finding.store';
import { findUsedAfterEnd } from '../findings/used-after-end.check';
import { linkIssuedSession } from '../runs/record-issuance.usecase';
import { RunEventSpans } from '../runs/run-event-span';
import { AuditDb, num, type SqlParam } from '../storage/audit-db';
import { PartitionMonths } from '../storage/partitions';
import { EVENT_COLUMNS, eventRowValues, NO_LINK, resourceKeys } from './event-row';

export interface IngestResult {
  /** Events stored by this call. */
  inserted: number;
  /** Events skipped because their eventID was stored already (or repeated in the batch). */
  duplicates: number;
  findings: number;
}

const SESSION_COLUMNS = [
  'access_key_id', 'assume_event_id', 'parent_access_key_id', 'role_arn', 'assumed_role_arn', 'source_identity',
  'issued_at', 'expires_at', 'run_id', 'account', 'space_id', 'caller_id', 'link',
] as const;

/**
 * The one way events enter the store, whatever the path (poller, file import, NATS push): drop
 * events already stored (deduplicated on eventID), correlate the rest, write them with their
 * resources and new sessions in one transaction, link earlier calls of the new sessions
 * (backfill: a trail is not in order across files), then raise the findings the batch shows.
 */
export class IngestEvents {
  private readonly partitionMonths = new PartitionMonths();
  constructor(
    private readonly db: AuditDb,
    private readonly findings: FindingStore,
    private readonly rules: BatchFindingRules,
    private readonly owner?: string,
  ) {}

  /**
   * The same use case with every batch owned by `owner` unless a call names another: what a trail
   * source's S3 log files go through, since they are read by the file import (`ImportFiles`).
   */
  ownedBy(owner: string): IngestEvents {
    return new IngestEvents(this.db, this.findings, this.rules, owner);
  }

  /**
   * @param owner the runtrail account the batch belongs to (a trail source's): its events are
   *   linked only to that account's runs. Undefined: any account's (file import, NATS push, the
   *   platform identity's poller), or the one of {@link ownedBy}.
   */
  async ingest(batch: NormalizedEvent[], source: string, owner = this.owner): Promise<IngestResult> {
    const unique = new Map<string, NormalizedEvent>();
    for (const e of batch) if (!unique.has(e.eventId)) unique.set(e.eventId, e);
    const stored = await this.storedIds([...unique.keys()]);
    const fresh = [...unique.values()].filter((e) => !stored.has(e.eventId));
    if (!fresh.length) return { inserted: 0, duplicates: batch.length, findings: 0 };

    const ctx = await CorrelationContext.load(this.db, fresh);
    const result = owner === undefined ? correlateBatch(fresh, ctx) : ownedBy(correlateBatch(fresh, ctx), owner);
    await this.partitionMonths.ensure(this.db, fresh.map((e) => e.eventTime.getTime()));
    // New sessions no run has yet: an issuance of their key may be recorded while this batch is stored.
    const unlinked = result.newSessions.filter((s) => s.runId === null).map((s) => s.accessKeyId);
    const linkedRuns = await this.db.transaction(async (tx) => {
      // Before any write: such an issuance recorded meanwhile waits for this commit.
      await tx.lockSessions(unlinked);
      const spans = new RunEventSpans();
      await insertEvents(tx, result, source, spans);
      await insertSessions(tx, result.newSessions);
      for (const [issuanceId, eventId] of result.issuanceMatches) {
        await tx.run(`update "issuance" set "assume_event_id" = ? where "id" = ? and "assume_event_id" is null`, [eventId, issuanceId]);
      }
      const runs = await backfill(tx, result.newSessions, spans);
      for (const runId of await linkLateIssuances(tx, unlinked, owner, spans)) runs.add(runId);
      await spans.save(tx);
      return runs;
    });
    runtrailCounter('eventsIngested').add(fresh.length, { 'runtrail.source': /^(lookup|push|s3):/.exec(source)?.[1] ?? 'file' });
    const found: NewFinding[] = batchFindings(result.events, ctx, this.rules);
    for (const runId of linkedRuns) found.push(...(await findUsedAfterEnd(this.db, runId)));
    const raised = await this.findings.raise(found);
    return { inserted: fresh.length, duplicates: batch.length - fresh.length, findings: raised.length };
  }

  private async storedIds(ids: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += AuditDb.ROWS_PER_INSERT) {
      const part = ids.slice(i, i + AuditDb.ROWS_PER_INSERT);
      const rows = await this.db.all(`select "event_id" from "cloudtrail_event" where "event_id" in (${AuditDb.list(part.length)})`, part);
      for (const row of rows) found.add(String(row['event_id']));
    }
    return found;
  }
}

/**
 * Drops every link of the batch to another runtrail account's runs: a trail source reads one
 * customer AWS account for one runtrail account, so what it brings may name only that account's runs.
 */
function ownedBy(result: BatchCorrelation, owner: string): BatchCorrelation {
  const foreign = (account: string | null) => account !== null && account !== owner;
  const stripped = new Set<string>();
  const events = result.events.map((e) => {
    if (!foreign(e.link.account)) return e;
    stripped.add(e.event.eventId);
    return { event: e.event, link: NO_LINK };
  });
  const newSessions = result.newSessions.map((s) =>
    foreign(s.account) ? { ...s, runId: null, account: null, spaceId: null, callerId: null, link: null } : s);
  const issuanceMatches = new Map([...result.issuanceMatches].filter(([, eventId]) => !stripped.has(eventId)));
  return { events, newSessions, issuanceMatches };
}

async function insertEvents(db: AuditDb, result: BatchCorrelation, source: string, spans: RunEventSpans): Promise<void> {
  const columns = EVENT_COLUMNS.map((c) => `"${c}"`).join(', ');
  const resources: SqlParam[] = [];
  for (let i = 0; i < result.events.length; i += AuditDb.ROWS_PER_INSERT) {
    const part = result.events.slice(i, i + AuditDb.ROWS_PER_INSERT);
    const values = part.flatMap(({ event, link }) => eventRowValues(event, link, source));
    await db.run(
      `insert into "cloudtrail_event" (${columns}) values ${AuditDb.placeholders(part.length, EVENT_COLUMNS.length)} on conflict do nothing`,
      values,
    );
  }
  for (const { event, link } of result.events) {
    spans.add(link.runId, event.eventTime.getTime());
    for (const key of resourceKeys(event)) {
      resources.push(key, event.eventTime.getTime(), event.eventId);
    }
  }
  const perInsert = AuditDb.ROWS_PER_INSERT * 3;
  for (let i = 0; i < resources.length; i += perInsert) {
    const part = resources.slice(i, i + perInsert);
    await db.run(
      `insert into "event_resource" ("resource", "event_time", "event_id") values ${AuditDb.placeholders(part.length / 3, 3)} on conflict do nothing`,
      part,
    );
  }
}

async function insertSessions(db: AuditDb, sessions: KnownSession[]): Promise<void> {
  if (!sessions.length) return;
  const columns = SESSION_COLUMNS.map((c) => `"${c}"`).join(', ');
  for (let i = 0; i < sessions.length; i += AuditDb.ROWS_PER_INSERT) {
    const part = sessions.slice(i, i + AuditDb.ROWS_PER_INSERT);
    await db.run(
      `insert into "aws_session" (${columns}) values ${AuditDb.placeholders(part.length, SESSION_COLUMNS.length)} on conflict ("access_key_id") do nothing`,
      part.flatMap((s) => [s.accessKeyId, s.assumeEventId, s.parentAccessKeyId, s.roleArn, s.assumedRoleArn, s.sourceIdentity,
        s.issuedAt, s.expiresAt, s.runId, s.account, s.spaceId, s.callerId, s.link]),
    );
  }
}

/**
 * Links the new sessions no run has (by access key id) to issuances of their keys recorded after
 * this batch was correlated (the broker's event and the trail arrive together): the issuance's own
 * check for the session ran before these rows were stored. An `owner` batch links only that
 * account's runs. Returns the runs linked.
 */
async function linkLateIssuances(db: AuditDb, keys: string[], owner: string | undefined, spans: RunEventSpans): Promise<string[]> {
  const runs: string[] = [];
  for (let i = 0; i < keys.length; i += AuditDb.ROWS_PER_INSERT) {
    const part = keys.slice(i, i + AuditDb.ROWS_PER_INSERT);
    const issuances = await db.all(
      `select "id", "access_key_id", "run_id", "account", "space_id", "caller_id" from "issuance"
        where "access_key_id" in (${AuditDb.list(part.length)}) and "assume_event_id" is null`,
      part,
    );
    for (const issuance of issuances) {
      const run = { runId: String(issuance['run_id']), account: String(issuance['account']), spaceId: String(issuance['space_id']), callerId: String(issuance['caller_id']) };
      if (owner !== undefined && run.account !== owner) continue;
      if (await linkIssuedSession(db, String(issuance['id']), String(issuance['access_key_id']), run, spans)) runs.push(run.runId);
    }
  }
  return runs;
}

/**
 * Links calls stored before the AssumeRole that issued their session (another file, an earlier
 * page): by access key id, then by assumed-role ARN within the session's lifetime. An access key
 * match overrides an earlier ARN match: names repeat, so one ARN can name two sessions, a key never. Returns the
 * runs that gained calls, to check them for use after the run ended.
 */
async function backfill(db: AuditDb, sessions: KnownSession[], spans: RunEventSpans): Promise<Set<string>> {
  const runs = new Set<string>();
  const set = `"session_event_id" = ?, "run_id" = ?, "account" = ?, "space_id" = ?, "caller_id" = ?, "link" = ?`;
  for (const s of sessions) {
    const fields = [s.assumeEventId, s.runId, s.account, s.spaceId, s.callerId];
    const linked = await db.all(
      `update "cloudtrail_event" set ${set} where "access_key_id" = ? and ("session_event_id" is null or "link" = 'assumed_role_arn')
        returning "event_time"`,
      [...fields, 'access_key', s.accessKeyId],
    );
    if (s.assumedRoleArn) {
      linked.push(...await db.all(
        `update "cloudtrail_event" set ${set}
          where "principal_arn" = ? and "principal_type" = 'AssumedRole' and "event_time" between ? and ?
            and "session_event_id" is null and "run_id" is null
          returning "event_time"`,
        [...fields, 'assumed_role_arn', s.assumedRoleArn, s.issuedAt, s.expiresAt],
      ));
    }
    for (const row of linked) spans.add(s.runId, num(row['event_time']));
    if (s.runId) runs.add(s.runId);
  }
  return runs;
}
