import type { NormalizedEvent } from '@runtrail/cloudtrail';
import { NO_LINK, runOfSourceIdentity, type RunLink } from '../ingest/event-row';
import type { CorrelationContext } from './correlation-context';
import type { IssuanceMatch, KnownIssuance, KnownRun, KnownSession } from './correlation.types';

/** How far apart an issuance and its AssumeRole may be when matched by session name or source identity. */
export const ISSUANCE_WINDOW_MS = 5 * 60_000;
// CloudTrail omits the expiry of some sessions; the longest a role session can last.
const MAX_SESSION_MS = 12 * 3600_000;

export interface CorrelatedEvent {
  event: NormalizedEvent;
  link: RunLink;
}

export interface BatchCorrelation {
  events: CorrelatedEvent[];
  /** Sessions first seen in this batch (to store and to backfill earlier calls with). */
  newSessions: KnownSession[];
  /** Issuance id -> the AssumeRole event that carried it out. */
  issuanceMatches: Map<string, string>;
}

/**
 * Links every event of a batch to the session that made it and to its run, following the issue's
 * order. AssumeRole* events are matched to issuances by access key id, then session name + role +
 * time window, then SourceIdentity, and otherwise inherit the run of the session (or source
 * identity) that called them: that is role chaining. Any other call is linked through its access
 * key id, then its assumed-role ARN (at a time the session was valid), then its SourceIdentity.
 * A session name alone never links anything: real trails reuse names.
 */
export function correlateBatch(events: NormalizedEvent[], ctx: CorrelationContext): BatchCorrelation {
  const sorted = [...events].sort((a, b) => a.eventTime.getTime() - b.eventTime.getTime());
  const out: BatchCorrelation = { events: [], newSessions: [], issuanceMatches: new Map() };
  for (const event of sorted) {
    const link = event.assumeRole ? correlateAssume(event, ctx, out) : correlateCall(event, ctx);
    out.events.push({ event, link });
  }
  return out;
}

function correlateAssume(event: NormalizedEvent, ctx: CorrelationContext, out: BatchCorrelation): RunLink {
  const a = event.assumeRole;
  if (!a) return NO_LINK;
  const matched = matchIssuance(event, ctx, out);
  let link: RunLink;
  if (matched) {
    out.issuanceMatches.set(matched.issuance.id, event.eventId);
    link = { ...runFields(matched.issuance), sessionEventId: null, link: matched.how };
  } else {
    const caller = correlateCall(event, ctx);
    const requested = runOfSourceIdentity(a.sourceIdentity);
    const run = requested ? ctx.runs.get(requested) : undefined;
    if (caller.runId) link = { ...caller, link: 'chained' };
    else if (run) link = { ...runFields(run), sessionEventId: caller.sessionEventId, link: 'chained_source_identity' };
    else link = caller;
  }
  if (!event.errorCode && a.issuedAccessKeyId && !ctx.sessionsByKey.has(a.issuedAccessKeyId)) {
    const at = event.eventTime.getTime();
    const session: KnownSession = {
      accessKeyId: a.issuedAccessKeyId,
      assumeEventId: event.eventId,
      parentAccessKeyId: event.principal.type === 'AssumedRole' ? event.principal.accessKeyId : null,
      roleArn: a.roleArn,
      assumedRoleArn: a.assumedRoleArn,
      sourceIdentity: a.sourceIdentity ?? event.principal.sourceIdentity,
      issuedAt: at,
      expiresAt: a.expiration?.getTime() ?? at + MAX_SESSION_MS,
      runId: link.runId,
      account: link.account,
      spaceId: link.spaceId,
      callerId: link.callerId,
      link: link.link,
    };
    ctx.addSession(session);
    out.newSessions.push(session);
  }
  return link;
}

function matchIssuance(
  event: NormalizedEvent,
  ctx: CorrelationContext,
  out: BatchCorrelation,
): { issuance: KnownIssuance; how: IssuanceMatch } | null {
  const a = event.assumeRole;
  if (!a || event.errorCode) return null;
  const free = (i: KnownIssuance) => (i.assumeEventId === null || i.assumeEventId === event.eventId) && !taken(out, i, event);
  const byKey = a.issuedAccessKeyId ? ctx.issuancesByKey.get(a.issuedAccessKeyId) : undefined;
  if (byKey) return { issuance: byKey, how: 'issuance_access_key' };
  const at = event.eventTime.getTime();
  const near = (i: KnownIssuance) => Math.abs(i.issuedAt - at) <= ISSUANCE_WINDOW_MS && i.roleArn === a.roleArn && free(i);
  // Worker-mode issuances carry no access key: the session name (with role and time) stands in.
  const bySession = a.roleSessionName
    ? closest(ctx.issuancesBySession.get(a.roleSessionName)?.filter((i) => i.accessKeyId === null && near(i)), at)
    : null;
  if (bySession) return { issuance: bySession, how: 'issuance_session_name' };
  const runId = runOfSourceIdentity(a.sourceIdentity);
  const bySource = runId && event.principal.type !== 'AssumedRole'
    ? closest(ctx.issuancesByRun.get(runId)?.filter((i) => i.accessKeyId === null && i.sourceIdentity === a.sourceIdentity && near(i)), at)
    : null;
  return bySource ? { issuance: bySource, how: 'issuance_source_identity' } : null;
}

function taken(out: BatchCorrelation, issuance: KnownIssuance, event: NormalizedEvent): boolean {
  const by = out.issuanceMatches.get(issuance.id);
  return by !== undefined && by !== event.eventId;
}

function closest(list: KnownIssuance[] | undefined, at: number): KnownIssuance | null {
  if (!list?.length) return null;
  return list.reduce((best, i) => (Math.abs(i.issuedAt - at) < Math.abs(best.issuedAt - at) ? i : best));
}

/** Links a call (or the caller of an AssumeRole) to its session and run. */
export function correlateCall(event: NormalizedEvent, ctx: CorrelationContext): RunLink {
  const p = event.principal;
  const at = event.eventTime.getTime();
  const byKey = p.accessKeyId ? ctx.sessionsByKey.get(p.accessKeyId) : undefined;
  if (byKey) return sessionLink(byKey, 'access_key');
  if (p.type === 'AssumedRole' && p.arn) {
    const candidates = ctx.sessionsByArn.get(p.arn)?.filter((s) => s.issuedAt <= at && at <= s.expiresAt) ?? [];
    // Newest valid session with that ARN: the same ARN may have been issued twice (names repeat).
    const byArn = candidates.sort((x, y) => y.issuedAt - x.issuedAt)[0];
    if (byArn) return sessionLink(byArn, 'assumed_role_arn');
  }
  const runId = runOfSourceIdentity(p.sourceIdentity);
  const run = runId ? ctx.runs.get(runId) : undefined;
  if (run) return { ...runFields(run), sessionEventId: null, link: 'source_identity' };
  return NO_LINK;
}

function sessionLink(session: KnownSession, how: string): RunLink {
  return {
    runId: session.runId,
    account: session.account,
    spaceId: session.spaceId,
    callerId: session.callerId,
    sessionEventId: session.assumeEventId,
    link: how,
  };
}

function runFields(run: KnownRun | KnownIssuance): Pick<RunLink, 'runId' | 'account' | 'spaceId' | 'callerId'> {
  return { runId: run.runId, account: run.account, spaceId: run.spaceId, callerId: run.callerId };
}
