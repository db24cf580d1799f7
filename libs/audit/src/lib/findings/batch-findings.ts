import type { CorrelatedEvent } from '../correlation/correlate-batch';
import type { CorrelationContext } from '../correlation/correlation-context';
import { parseExternalId } from '@runtrail/aws-identity';
import { runtrailMarker } from '../ingest/event-row';
import type { NewFinding } from './finding.store';
import { ipInRanges, type IpRange } from './ip-ranges';

/** What the per-batch finding rules need besides the batch. */
export interface BatchFindingRules {
  /** The worker pools' egress ranges; empty = the unknown-IP rule is off. */
  workerIpRanges: IpRange[];
}

/**
 * Findings visible from one batch alone: calls made with a run's credentials after the run ended,
 * calls from outside the worker ranges, and denied AssumeRole attempts on roles runtrail
 * integrates (or made with runtrail's external id or session format). Ids are deterministic, so a
 * re-import raises nothing twice.
 */
export function batchFindings(events: CorrelatedEvent[], ctx: CorrelationContext, rules: BatchFindingRules): NewFinding[] {
  const out: NewFinding[] = [];
  for (const { event, link } of events) {
    const run = link.runId ? ctx.runs.get(link.runId) : undefined;
    const who = event.principal.accessKeyId ?? event.principal.arn ?? 'unknown';
    if (run?.endedAt !== null && run?.endedAt !== undefined && event.eventTime.getTime() > run.endedAt) {
      out.push(usedAfterRunEnded(event.eventId, run.runId, run.account, who, event.eventName, event.eventTime, run.endedAt, event.recipientAccountId));
    }
    if (run && rules.workerIpRanges.length && event.sourceIp && isIp(event.sourceIp) && !ipInRanges(event.sourceIp, rules.workerIpRanges)) {
      out.push({
        id: `unknown_source_ip:${run.runId}:${event.sourceIp}`,
        kind: 'unknown_source_ip',
        severity: 'high',
        account: run.account,
        runId: run.runId,
        roleArn: null,
        awsAccountId: event.recipientAccountId,
        eventId: event.eventId,
        message: `run ${run.runId}'s credentials were used from ${event.sourceIp}, outside the worker pools' known ranges`,
        details: { sourceIp: event.sourceIp, eventName: event.eventName, eventTime: event.eventTime.toISOString() },
      });
    }
    const a = event.assumeRole;
    if (a && event.errorCode && a.roleArn && (ctx.integratedRoles.has(a.roleArn) || runtrailMarker(event))) {
      out.push({
        id: `denied_assume_role:${event.eventId}`,
        kind: 'denied_assume_role',
        severity: 'medium',
        account: link.account ?? ctx.integratedRoles.get(a.roleArn) ?? accountOfExternalId(a.externalId),
        runId: link.runId,
        roleArn: a.roleArn,
        awsAccountId: event.recipientAccountId,
        eventId: event.eventId,
        message: `${event.principal.arn ?? 'someone'} was denied ${event.eventName} on integrated role ${a.roleArn} (${event.errorCode})`,
        details: { errorCode: event.errorCode, principalArn: event.principal.arn, sourceIp: event.sourceIp, eventTime: event.eventTime.toISOString() },
      });
    }
  }
  return out;
}

/** One finding per run and credential: a leaked key used a thousand times is one thing to look at. */
export function usedAfterRunEnded(
  eventId: string, runId: string, account: string, who: string, eventName: string, eventTime: Date, endedAt: number, awsAccountId: string | null,
): NewFinding {
  return {
    id: `used_after_run_ended:${runId}:${who}`,
    kind: 'used_after_run_ended',
    severity: 'high',
    account,
    runId,
    roleArn: null,
    awsAccountId,
    eventId,
    message: `credentials of run ${runId} were used (${eventName}) after the run ended`,
    details: { credential: who, eventName, eventTime: eventTime.toISOString(), runEndedAt: new Date(endedAt).toISOString() },
  };
}

function isIp(value: string): boolean {
  return /^[\d.]+$/.test(value) || value.includes(':');
}

/** The runtrail account an external id names, when it is runtrail's format. */
export function accountOfExternalId(value: string | null | undefined): string | null {
  return value ? (parseExternalId(value)?.account ?? null) : null;
}
