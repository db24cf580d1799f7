// AWS words a denied AssumeRole as `User: <arn> is not authorized to perform: sts:AssumeRole on
// resource: <role arn>` and drops requestParameters, so the message is the only place left.
const ON_RESOURCE = /on resource:\s*(arn:[^\s"',]+)/;

/** The role ARN named by a denied AssumeRole's errorMessage, or null. */
export function roleArnFromErrorMessage(message: string | null): string | null {
  if (!message) return null;
  const match = ON_RESOURCE.exec(message);
  return match ? match[1].replace(/[.;]+$/, '') : null;
}
