import type { EventView } from '@runtrail/contracts';
import { json, num, str, type SqlRow } from '../storage/audit-db';

export type { EventView };

/** Columns the views read (never `response_elements`: it is only kept for forensics). */
export const EVENT_VIEW_COLUMNS = [
  'event_id', 'event_time', 'event_name', 'event_source', 'aws_region', 'recipient_account_id', 'principal_arn', 'principal_type',
  'access_key_id', 'source_identity', 'source_ip', 'user_agent', 'error_code', 'role_arn', 'resources', 'request_parameters',
  'run_id', 'account', 'space_id', 'caller_id', 'link',
].map((c) => `"${c}"`).join(', ');

export function toEventView(row: SqlRow): EventView {
  const resources = json<Array<{ arn: string | null }>>(row['resources']) ?? [];
  return {
    eventId: String(row['event_id']),
    eventTime: new Date(num(row['event_time'])).toISOString(),
    eventName: String(row['event_name']),
    eventSource: String(row['event_source']),
    awsRegion: str(row['aws_region']),
    awsAccountId: str(row['recipient_account_id']),
    principalArn: str(row['principal_arn']),
    principalType: str(row['principal_type']),
    accessKeyId: str(row['access_key_id']),
    sourceIdentity: str(row['source_identity']),
    sourceIp: str(row['source_ip']),
    userAgent: str(row['user_agent']),
    errorCode: str(row['error_code']),
    denied: row['error_code'] !== null && row['error_code'] !== undefined,
    roleArn: str(row['role_arn']),
    resources: resources.map((r) => r.arn).filter((arn): arn is string => !!arn),
    requestParameters: json<Record<string, unknown>>(row['request_parameters']),
    runId: str(row['run_id']),
    account: str(row['account']),
    spaceId: str(row['space_id']),
    callerId: str(row['caller_id']),
    link: str(row['link']),
  };
}

/** The `(time, id)` position of an event row, for cursors. */
export function eventPosition(view: EventView): { t: number; id: string } {
  return { t: Date.parse(view.eventTime), id: view.eventId };
}
