import type { CloudTrailRecord, CloudTrailResource, CloudTrailUserIdentity } from '@runtrail/cloudtrail';

/** How an action shapes the CloudTrail record of its call, success or failure. */
export interface TrailOverrides {
  requestParameters?: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
  resources?: CloudTrailResource[];
  /** Accounts that receive the event; the first one is the call's own. Default: the caller's. */
  recipients?: string[];
  userIdentity?: CloudTrailUserIdentity;
  additionalEventData?: Record<string, unknown>;
}

/** One API call, before it is written as one record per recipient account. */
export interface TrailCall {
  time: Date;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  readOnly: boolean;
  userIdentity: CloudTrailUserIdentity;
  sourceIp: string;
  userAgent: string;
  requestId: string;
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
  resources?: CloudTrailResource[];
  additionalEventData?: Record<string, unknown>;
  recipients: string[];
  errorCode?: string;
  errorMessage?: string;
}

/** A recorded event with what LookupEvents filters on, computed once. */
export interface StoredEvent {
  seq: number;
  timeMs: number;
  /** Wall-clock ms from which LookupEvents shows it (delivery delay). */
  visibleAt: number;
  accountId: string;
  region: string;
  eventId: string;
  eventName: string;
  eventSource: string;
  readOnly: boolean;
  username: string | null;
  accessKeyId: string | null;
  resources: { type: string; name: string }[];
  record: CloudTrailRecord;
  json: string | null;
}
