import { createHash } from 'node:crypto';
import { AwsApiError } from '../../http/aws-api.error';
import type { LookupAttributeKey, LookupQuery } from '../../trail/trail-store';
import type { StoredEvent } from '../../trail/trail-event.types';
import type { ActionContext, ActionDef, ActionResult } from '../action.types';
import { authorizeIdentity } from '../authorize-identity';
import { callerContext } from '../caller-context';

const ATTRIBUTE_KEYS: readonly LookupAttributeKey[] = [
  'EventId',
  'EventName',
  'ReadOnly',
  'Username',
  'ResourceType',
  'ResourceName',
  'EventSource',
  'AccessKeyId',
];

/**
 * cloudtrail:LookupEvents over the caller's account and the signing region (IAM events live in
 * us-east-1, like AWS's global-service events): one lookup attribute at most, StartTime/EndTime,
 * MaxResults up to 50, NextToken paging, newest first. Optional 2-per-second throttle per
 * (account, region) and delivery delay, as configured.
 */
export const lookupEventsAction: ActionDef = {
  service: 'cloudtrail',
  name: 'LookupEvents',
  readOnly: true,
  handle: lookupEvents,
  onFailure: (ctx) => ({ requestParameters: lookupParameters(ctx.json ?? {}) }),
};

function lookupEvents(ctx: ActionContext): ActionResult {
  const caller = ctx.caller;
  if (caller.kind === 'anonymous')
    throw new AwsApiError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
  if (ctx.core.lookupThrottle && !ctx.core.lookupThrottle.admit(caller.accountId, ctx.region)) {
    throw new AwsApiError('ThrottlingException', 'Rate exceeded', 400, { recorded: false });
  }
  authorizeIdentity(ctx.core, caller, 'cloudtrail:LookupEvents', '*', callerContext(ctx, caller).build());
  const body = ctx.json ?? {};
  const query = readQuery(body, caller.accountId, ctx.region);
  const empty = body['EventCategory'] === 'insight';
  const { events, more } = empty ? { events: [], more: false } : ctx.core.trail.lookup(query);
  const last = events[events.length - 1];
  return {
    result: {
      Events: events.map(toLookupEvent),
      ...(more && last ? { NextToken: encodeToken(last, fingerprint(query)) } : {}),
    },
    trail: { requestParameters: lookupParameters(body), responseElements: null },
  };
}

function readQuery(body: Record<string, unknown>, accountId: string, region: string): LookupQuery {
  const attributes = body['LookupAttributes'];
  let attribute: LookupQuery['attribute'] = null;
  if (attributes !== undefined) {
    if (!Array.isArray(attributes)) throw invalidAttributes('LookupAttributes must be a list.');
    if (attributes.length > 1) throw invalidAttributes('You cannot specify more than one lookup attribute.');
    if (attributes.length === 1) {
      const a = attributes[0] as Record<string, unknown>;
      const key = a?.['AttributeKey'];
      const value = a?.['AttributeValue'];
      if (typeof key !== 'string' || !ATTRIBUTE_KEYS.includes(key as LookupAttributeKey)) {
        throw invalidAttributes(
          `Invalid AttributeKey: ${String(key)}. Valid keys: ${ATTRIBUTE_KEYS.join(', ')}.`,
        );
      }
      if (typeof value !== 'string' || value.length < 1 || value.length > 2000) {
        throw invalidAttributes('AttributeValue must be 1 to 2000 characters.');
      }
      attribute = { key: key as LookupAttributeKey, value };
    }
  }
  const startMs = timestamp(body['StartTime'], 'StartTime');
  const endMs = timestamp(body['EndTime'], 'EndTime');
  if (startMs !== null && endMs !== null && startMs > endMs) {
    throw new AwsApiError('InvalidTimeRangeException', 'Start time must be earlier than end time.');
  }
  const maxResults = body['MaxResults'] ?? 50;
  if (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > 50) {
    throw new AwsApiError('InvalidMaxResultsException', 'MaxResults must be an integer between 1 and 50.');
  }
  const query: LookupQuery = {
    accountId,
    region,
    attribute,
    startMs,
    endMs,
    maxResults,
    after: null,
    nowMs: Date.now(),
  };
  const token = body['NextToken'];
  if (token !== undefined && token !== null && token !== '')
    query.after = decodeToken(token, fingerprint(query));
  return query;
}

// awsJson1_1 timestamps are epoch seconds; ISO strings are tolerated.
function timestamp(value: unknown, field: string): number | null {
  if (value === undefined || value === null) return null;
  // A Date holds at most ±8.64e15 ms: anything beyond is as invalid as a string that does not parse.
  if (typeof value === 'number' && Math.abs(value * 1000) <= 8.64e15) return Math.round(value * 1000);
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return Date.parse(value);
  throw new AwsApiError('InvalidTimeRangeException', `${field} is not a valid timestamp.`);
}

function invalidAttributes(message: string): AwsApiError {
  return new AwsApiError('InvalidLookupAttributesException', message);
}

function fingerprint(q: LookupQuery): string {
  const basis = JSON.stringify([q.accountId, q.region, q.attribute, q.startMs, q.endMs]);
  return createHash('sha256').update(basis).digest('base64url').slice(0, 16);
}

function encodeToken(last: StoredEvent, query: string): string {
  return Buffer.from(JSON.stringify({ t: last.timeMs, s: last.seq, q: query })).toString('base64url');
}

function decodeToken(token: unknown, query: string): { timeMs: number; seq: number } {
  const invalid = new AwsApiError(
    'InvalidNextTokenException',
    'Invalid NextToken: it does not belong to this query.',
  );
  if (typeof token !== 'string') throw invalid;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      t?: unknown;
      s?: unknown;
      q?: unknown;
    };
    if (typeof parsed.t !== 'number' || typeof parsed.s !== 'number' || parsed.q !== query) throw invalid;
    return { timeMs: parsed.t, seq: parsed.s };
  } catch {
    throw invalid;
  }
}

function toLookupEvent(e: StoredEvent): Record<string, unknown> {
  e.json ??= JSON.stringify(e.record);
  return {
    EventId: e.eventId,
    EventName: e.eventName,
    ReadOnly: String(e.readOnly),
    ...(e.accessKeyId ? { AccessKeyId: e.accessKeyId } : {}),
    EventTime: e.timeMs / 1000,
    EventSource: e.eventSource,
    ...(e.username ? { Username: e.username } : {}),
    Resources: e.resources.map((r) => ({ ResourceType: r.type, ResourceName: r.name })),
    CloudTrailEvent: e.json,
  };
}

function lookupParameters(body: Record<string, unknown>): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  const attributes = body['LookupAttributes'];
  if (Array.isArray(attributes)) {
    out['lookupAttributes'] = attributes.map((a: Record<string, unknown>) => ({
      attributeKey: a?.['AttributeKey'],
      attributeValue: a?.['AttributeValue'],
    }));
  }
  for (const key of ['StartTime', 'EndTime', 'EventCategory', 'MaxResults', 'NextToken']) {
    const value = body[key];
    if (value === undefined) continue;
    const name = key.charAt(0).toLowerCase() + key.slice(1);
    out[name] =
      (key === 'StartTime' || key === 'EndTime') && typeof value === 'number' && Math.abs(value * 1000) <= 8.64e15
        ? new Date(value * 1000).toISOString()
        : value;
  }
  return Object.keys(out).length ? out : null;
}
