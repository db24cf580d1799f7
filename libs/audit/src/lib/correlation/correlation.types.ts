/** A run as audit knows it from `runs.v1.phase.*`. */
export interface KnownRun {
  runId: string;
  account: string;
  spaceId: string;
  callerId: string;
  /** When the run reached FINISHED, FAILED or STOPPED (epoch ms), else null. */
  endedAt: number | null;
}

/** A `credentials.v1.issued` fact. */
export interface KnownIssuance {
  id: string;
  runId: string;
  account: string;
  spaceId: string;
  callerId: string;
  roleArn: string;
  accessKeyId: string | null;
  sessionName: string;
  /** Null where the integration does not send SourceIdentity. */
  sourceIdentity: string | null;
  issuedAt: number;
  assumeEventId: string | null;
}

/** A set of temporary credentials seen issued by an AssumeRole* in the trail. */
export interface KnownSession {
  accessKeyId: string;
  assumeEventId: string;
  parentAccessKeyId: string | null;
  roleArn: string | null;
  assumedRoleArn: string | null;
  sourceIdentity: string | null;
  issuedAt: number;
  expiresAt: number;
  runId: string | null;
  account: string | null;
  spaceId: string | null;
  callerId: string | null;
  link: string | null;
}

/** How an AssumeRole may be matched to an issuance, in the order the issue prescribes. */
export type IssuanceMatch = 'issuance_access_key' | 'issuance_session_name' | 'issuance_source_identity';

/** How a later call is tied to a session or run. */
export type CallLink = 'access_key' | 'assumed_role_arn' | 'source_identity' | 'chained' | 'chained_source_identity';
