import type { CloudTrailRecord } from '@runtrail/cloudtrail';
import type { StoredEvent } from './trail-event.types';

export type LookupAttributeKey =
  | 'EventId'
  | 'EventName'
  | 'ReadOnly'
  | 'Username'
  | 'ResourceType'
  | 'ResourceName'
  | 'EventSource'
  | 'AccessKeyId';

export interface LookupQuery {
  accountId: string;
  region: string;
  attribute: { key: LookupAttributeKey; value: string } | null;
  startMs: number | null;
  endMs: number | null;
  maxResults: number;
  /** Continue strictly after (older than) this event. */
  after: { timeMs: number; seq: number } | null;
  /** Wall-clock now, for the delivery delay. */
  nowMs: number;
}

/**
 * Recorded CloudTrail events per account, kept sorted by event time so LookupEvents can walk
 * them newest first. Bounded: past `maxPerAccount` the oldest tenth is dropped.
 */
export class TrailStore {
  private readonly byAccount = new Map<string, StoredEvent[]>();
  private seq = 0;

  constructor(private readonly maxPerAccount: number) {}

  add(
    accountId: string,
    region: string,
    record: CloudTrailRecord,
    timeMs: number,
    visibleAt: number,
  ): StoredEvent {
    const identity = record.userIdentity ?? {};
    const event: StoredEvent = {
      seq: ++this.seq,
      timeMs,
      visibleAt,
      accountId,
      region,
      eventId: record.eventID ?? '',
      eventName: record.eventName ?? '',
      eventSource: record.eventSource ?? '',
      readOnly: record.readOnly ?? false,
      username: lookupUsername(identity),
      accessKeyId: identity.accessKeyId ?? null,
      resources: (record.resources ?? []).map((r) => ({ type: r.type ?? '', name: r.ARN ?? '' })),
      record,
      json: null,
    };
    let list = this.byAccount.get(accountId);
    if (!list) this.byAccount.set(accountId, (list = []));
    if (list.length === 0 || list[list.length - 1].timeMs <= timeMs) list.push(event);
    else list.splice(upperBound(list, timeMs, Number.MAX_SAFE_INTEGER), 0, event);
    if (list.length > this.maxPerAccount) list.splice(0, Math.max(1, Math.floor(this.maxPerAccount / 10)));
    return event;
  }

  /** Every stored event of an account (all regions), oldest first, delivery delay ignored. */
  all(accountId: string): readonly StoredEvent[] {
    return this.byAccount.get(accountId) ?? [];
  }

  accounts(): string[] {
    return [...this.byAccount.keys()];
  }

  lookup(q: LookupQuery): { events: StoredEvent[]; more: boolean } {
    const list = this.byAccount.get(q.accountId) ?? [];
    let i = list.length - 1;
    if (q.after) i = Math.min(i, lowerBound(list, q.after.timeMs, q.after.seq) - 1);
    if (q.endMs !== null) i = Math.min(i, upperBound(list, q.endMs, Number.MAX_SAFE_INTEGER) - 1);
    const events: StoredEvent[] = [];
    for (; i >= 0; i--) {
      const e = list[i];
      if (q.startMs !== null && e.timeMs < q.startMs) break;
      if (e.region !== q.region || e.visibleAt > q.nowMs || !matches(e, q.attribute)) continue;
      if (events.length === q.maxResults) return { events, more: true };
      events.push(e);
    }
    return { events, more: false };
  }
}

function matches(e: StoredEvent, attribute: LookupQuery['attribute']): boolean {
  if (!attribute) return true;
  const v = attribute.value;
  switch (attribute.key) {
    case 'EventId':
      return e.eventId === v;
    case 'EventName':
      return e.eventName === v;
    case 'ReadOnly':
      return String(e.readOnly) === v.toLowerCase();
    case 'Username':
      return e.username === v;
    case 'ResourceType':
      return e.resources.some((r) => r.type === v);
    case 'ResourceName':
      return e.resources.some((r) => r.name === v || r.name.slice(r.name.lastIndexOf('/') + 1) === v);
    case 'EventSource':
      return e.eventSource === v;
    case 'AccessKeyId':
      return e.accessKeyId === v;
  }
}

// LookupEvents' Username: the IAM user, the role session name, or the web identity subject.
function lookupUsername(identity: NonNullable<CloudTrailRecord['userIdentity']>): string | null {
  if (identity.type === 'AssumedRole' && identity.arn)
    return identity.arn.slice(identity.arn.lastIndexOf('/') + 1);
  return identity.userName ?? null;
}

// First index whose (timeMs, seq) >= (t, s).
function lowerBound(list: StoredEvent[], t: number, s: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const e = list[mid];
    if (e.timeMs < t || (e.timeMs === t && e.seq < s)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// First index whose (timeMs, seq) > (t, s).
function upperBound(list: StoredEvent[], t: number, s: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const e = list[mid];
    if (e.timeMs < t || (e.timeMs === t && e.seq <= s)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
