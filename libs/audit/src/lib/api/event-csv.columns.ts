import type { EventView } from '../queries/event-view';

/** Columns of an event CSV export, in order. */
export const EVENT_CSV_COLUMNS: Array<keyof EventView> = [
  'eventTime', 'eventId', 'eventName', 'eventSource', 'awsRegion', 'awsAccountId', 'principalArn', 'accessKeyId', 'sourceIp',
  'errorCode', 'denied', 'roleArn', 'resources', 'runId', 'account', 'spaceId', 'callerId', 'link', 'requestParameters',
];
