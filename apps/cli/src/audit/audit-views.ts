import type { EventView } from '@runtrail/contracts';

/** `iam.amazonaws.com` + `CreateRole` → `iam:CreateRole`, as IAM policies spell actions. */
export function callName(event: Pick<EventView, 'eventSource' | 'eventName'>): string {
  return `${event.eventSource.replace(/\.amazonaws\.com$/, '')}:${event.eventName}`;
}

/** The `sts:ExternalId` an AssumeRole asked with (runtrail's `<account>@<integration>@<caller>@<scope>`), else null. */
export function externalIdOf(event: Pick<EventView, 'requestParameters'>): string | null {
  const id = event.requestParameters?.['externalId'];
  return typeof id === 'string' ? id : null;
}
