/**
 * One CloudTrail record reduced to what runtrail correlates on. Every string member is `null`
 * when the record lacks it (an empty string counts as missing). Secrets (session tokens, secret
 * keys) never survive normalisation.
 */
export interface NormalizedEvent {
  eventId: string;
  eventTime: Date;
  eventName: string;
  eventSource: string;
  awsRegion: string | null;
  recipientAccountId: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  readOnly: boolean | null;
  eventType: string | null;
  requestId: string | null;
  sharedEventId: string | null;
  principal: NormalizedPrincipal;
  /** Present for `AssumeRole`, `AssumeRoleWithWebIdentity` and `AssumeRoleWithSAML`, else null. */
  assumeRole: NormalizedAssumeRole | null;
  resources: NormalizedResource[];
  requestParameters: Record<string, unknown> | null;
  /** The record's responseElements with `sessionToken` and `secretAccessKey` removed. */
  responseElements: Record<string, unknown> | null;
  /** Size in bytes of the record's JSON text (or of its re-serialisation when parsed from an object). */
  rawSize: number;
}

export interface NormalizedPrincipal {
  /** `IAMUser`, `AssumedRole`, `WebIdentityUser`, `FederatedUser`, `AWSService`, `Root`... */
  type: string | null;
  arn: string | null;
  accountId: string | null;
  accessKeyId: string | null;
  principalId: string | null;
  /** IAM user name, or the web identity subject for `WebIdentityUser`. */
  userName: string | null;
  /** The role session name of an `AssumedRole` principal (last segment of its ARN). */
  sessionName: string | null;
  sessionIssuerArn: string | null;
  sourceIdentity: string | null;
  /** The AWS service that made the call on the principal's behalf, e.g. `rds.amazonaws.com`. */
  invokedBy: string | null;
  /** The OIDC provider ARN of a `WebIdentityUser` or a web-identity session. */
  identityProvider: string | null;
}

export interface NormalizedAssumeRole {
  /** From requestParameters, else resources, else the `on resource:` part of errorMessage. */
  roleArn: string | null;
  roleSessionName: string | null;
  externalId: string | null;
  sourceIdentity: string | null;
  durationSeconds: number | null;
  /** Session tags requested (`requestParameters.tags`), key to value. */
  sessionTags: Record<string, string>;
  issuedAccessKeyId: string | null;
  assumedRoleArn: string | null;
  assumedRoleId: string | null;
  expiration: Date | null;
}

export interface NormalizedResource {
  arn: string | null;
  type: string | null;
  accountId: string | null;
}

export type ParseResult = { ok: true; event: NormalizedEvent } | { ok: false; reason: string };
