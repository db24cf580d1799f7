import type { EventView } from '@runtrail/contracts';

/** `iam.amazonaws.com` + `CreateRole` → `iam:CreateRole`, as IAM policies spell actions. */
export function callName(event: Pick<EventView, 'eventSource' | 'eventName'>): string {
  return `${event.eventSource.replace(/\.amazonaws\.com$/, '')}:${event.eventName}`;
}
