import type { NormalizedEvent } from '@runtrail/cloudtrail';
import { looksLikeRuntrailSession, parseExternalId, runIdOfSourceIdentity } from '@runtrail/aws-identity';
import type { SqlParam } from '../storage/audit-db';

/** Which run an event belongs to, and how that was decided. */
export interface RunLink {
  runId: string | null;
  account: string | null;
  spaceId: string | null;
  callerId: string | null;
  /** The AssumeRole event that issued the session the call was made with, when known. */
  sessionEventId: string | null;
  link: string | null;
}

export const NO_LINK: RunLink = { runId: null, account: null, spaceId: null, callerId: null, sessionEventId: null, link: null };

/** Columns of `cloudtrail_event`, in the order {@link eventRowValues} yields them. */
export const EVENT_COLUMNS = [
  'event_id', 'event_time', 'event_name', 'event_source', 'aws_region', 'recipient_account_id',
  'principal_type', 'principal_arn', 'access_key_id', 'session_name', 'source_identity', 'user_name',
  'source_ip', 'user_agent', 'error_code', 'error_message', 'read_only', 'role_arn',
  'issued_access_key_id', 'runtrail_marker', 'resources', 'request_parameters', 'response_elements',
  'session_event_id', 'run_id', 'account', 'space_id', 'caller_id', 'link', 'source',
] as const;

const MAX_TEXT = 2000;

/** The values of one `cloudtrail_event` row. Secrets were already stripped by libs/cloudtrail. */
export function eventRowValues(event: NormalizedEvent, link: RunLink, source: string): SqlParam[] {
  const p = event.principal;
  return [
    event.eventId, event.eventTime.getTime(), event.eventName, event.eventSource, event.awsRegion,
    event.recipientAccountId, p.type, p.arn, p.accessKeyId, p.sessionName, p.sourceIdentity, p.userName,
    event.sourceIp, cut(event.userAgent), event.errorCode, cut(event.errorMessage), event.readOnly,
    event.assumeRole?.roleArn ?? null, event.assumeRole?.issuedAccessKeyId ?? null, runtrailMarker(event),
    event.resources.length ? JSON.stringify(event.resources) : null,
    event.requestParameters ? JSON.stringify(event.requestParameters) : null,
    event.responseElements ? JSON.stringify(event.responseElements) : null,
    link.sessionEventId, link.runId, link.account, link.spaceId, link.callerId, link.link, source,
  ];
}

function cut(value: string | null): string | null {
  return value && value.length > MAX_TEXT ? value.slice(0, MAX_TEXT) : value;
}

/**
 * Why an AssumeRole looks like runtrail's own (external id, session name or source identity
 * format), or null. Such a call without a matching issuance is a finding.
 */
export function runtrailMarker(event: NormalizedEvent): string | null {
  const a = event.assumeRole;
  if (!a) return null;
  if (a.externalId && parseExternalId(a.externalId)) return 'external_id';
  if (a.roleSessionName && looksLikeRuntrailSession(a.roleSessionName)) return 'session_name';
  return null;
}

/** The run a source identity names when runtrail set it (a ULID), else null. */
export function runOfSourceIdentity(value: string | null): string | null {
  return value ? runIdOfSourceIdentity(value) : null;
}

const READ_PREFIX = /^(Get|List|Describe|Lookup|Head|BatchGet|Search|Select|Scan|Query|Decode)/;
const RESOURCE_KEY = /(Name|Arn|ARN)$/;
// Request members that end like resource names but name no resource.
const NOT_RESOURCES = new Set(['roleSessionName', 'durationSeconds', 'policyName']);
const MAX_RESOURCES = 12;

/** True for calls that may change something (CloudTrail's readOnly, else the action's verb). */
export function isMutating(event: NormalizedEvent): boolean {
  if (event.readOnly !== null) return !event.readOnly;
  return !READ_PREFIX.test(event.eventName);
}

/**
 * The names and ARNs a mutating call touched, for "who changed X": `resources[].arn`, request
 * members named `*Name`/`*Arn` with string values, and `arn` members of the response's objects
 * (CreateRole answers `role.arn`, which the request never names).
 */
export function resourceKeys(event: NormalizedEvent): string[] {
  if (!isMutating(event) || event.eventName.startsWith('AssumeRole')) return [];
  const keys = new Set<string>();
  for (const r of event.resources) if (r.arn) keys.add(r.arn);
  for (const [key, value] of Object.entries(event.requestParameters ?? {})) {
    if (typeof value === 'string' && value && RESOURCE_KEY.test(key) && !NOT_RESOURCES.has(key)) keys.add(value);
  }
  for (const value of Object.values(event.responseElements ?? {})) {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const arn = (value as Record<string, unknown>)['arn'] ?? (value as Record<string, unknown>)['Arn'];
      if (typeof arn === 'string' && arn) keys.add(arn);
    }
  }
  return [...keys].filter((k) => k.length <= 2048).slice(0, MAX_RESOURCES);
}
