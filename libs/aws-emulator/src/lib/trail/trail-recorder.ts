import { randomUUID } from 'node:crypto';
import { formatCloudTrailDate, type CloudTrailRecord } from '@runtrail/cloudtrail';
import type { LogFileWriter } from './log-file-writer';
import type { TrailCall } from './trail-event.types';
import type { TrailStore } from './trail-store';

/**
 * Turns one call into one CloudTrail record per recipient account (cross-account calls land in
 * both, linked by `sharedEventID`), stores them for LookupEvents and queues them for log files.
 */
export class TrailRecorder {
  constructor(
    private readonly store: TrailStore,
    private readonly writer: LogFileWriter | null,
    private readonly deliveryDelayMs: number,
  ) {}

  record(call: TrailCall): CloudTrailRecord[] {
    const recipients = [...new Set(call.recipients)];
    const shared = recipients.length > 1 ? randomUUID() : undefined;
    const eventTime = formatCloudTrailDate(call.time, 'iso');
    const visibleAt = Date.now() + this.deliveryDelayMs;
    const records: CloudTrailRecord[] = [];
    for (const accountId of recipients) {
      const record: CloudTrailRecord = {
        eventVersion: '1.08',
        userIdentity: call.userIdentity,
        eventTime,
        eventSource: call.eventSource,
        eventName: call.eventName,
        awsRegion: call.awsRegion,
        sourceIPAddress: call.sourceIp,
        userAgent: call.userAgent,
        ...(call.errorCode ? { errorCode: call.errorCode, errorMessage: call.errorMessage } : {}),
        requestParameters: call.requestParameters,
        responseElements: call.responseElements,
        ...(call.additionalEventData ? { additionalEventData: call.additionalEventData } : {}),
        requestID: call.requestId,
        eventID: randomUUID(),
        readOnly: call.readOnly,
        ...(call.resources?.length ? { resources: call.resources } : {}),
        eventType: 'AwsApiCall',
        managementEvent: true,
        recipientAccountId: accountId,
        ...(shared ? { sharedEventID: shared } : {}),
        eventCategory: 'Management',
      };
      this.store.add(accountId, call.awsRegion, record, call.time.getTime(), visibleAt);
      this.writer?.add(accountId, call.awsRegion, record);
      records.push(record);
    }
    return records;
  }
}
