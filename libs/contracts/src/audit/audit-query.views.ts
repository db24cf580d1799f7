// The JSON audit's query API answers (`/v1/audit/...`), shared by audit, which writes it, and the
// CLI, which reads it. Like every v1 shape: members may be added, never removed or retyped.

/** A page of one of runtrail's lists, with the cursor of the next page (null on the last). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** An AWS call as the query API shows it. */
export interface EventView {
  eventId: string;
  eventTime: string;
  eventName: string;
  eventSource: string;
  awsRegion: string | null;
  awsAccountId: string | null;
  principalArn: string | null;
  principalType: string | null;
  accessKeyId: string | null;
  sourceIdentity: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  errorCode: string | null;
  /** True for a refused call (an `errorCode` is present); denied AssumeRoles are denied attempts. */
  denied: boolean;
  roleArn: string | null;
  resources: string[];
  requestParameters: Record<string, unknown> | null;
  runId: string | null;
  account: string | null;
  spaceId: string | null;
  callerId: string | null;
  /** How the call was tied to its session or run (`access_key`, `assumed_role_arn`, `chained`, ...). */
  link: string | null;
}

/** `GET /v1/audit/runs/{runId}/timeline`. */
export interface RunTimeline {
  run: {
    runId: string;
    account: string;
    spaceId: string;
    callerType: string;
    callerId: string;
    callerSlug: string;
    runType: string;
    endedAt: string | null;
    endPhase: string | null;
  };
  phases: Array<{ phase: string; at: string }>;
  issuances: Array<{
    integrationId: string;
    roleArn: string;
    phase: string;
    scope: string;
    mode: string;
    accessKeyId: string | null;
    sessionName: string;
    issuedAt: string;
    expiresAt: string;
    seenInTrail: boolean;
  }>;
  /** Every AWS call of the run, its own sessions' and chained ones', oldest first. */
  events: Page<EventView>;
}

/** One row of `GET /v1/audit/runs`: the run as its timeline shows it, with how much it did. */
export type RunSummary = RunTimeline['run'] & {
  /** The latest phase audit knows of (null before the first phase event). */
  phase: string | null;
  /** The first phase's time (null before the first phase event). */
  startedAt: string | null;
  issuances: number;
  awsCalls: number;
  /** Calls refused by AWS (an `errorCode`). */
  deniedCalls: number;
  findings: number;
};
