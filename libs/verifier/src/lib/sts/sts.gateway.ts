import type { AssumeRoleInput as StsAssumeRoleInput } from '@runtrail/aws-sts';

/** One STS call's parameters (no credentials: the gateway uses runtrail's own identity). */
export type AssumeRoleInput = Omit<StsAssumeRoleInput, 'transitiveTagKeys'>;

export interface WebIdentityInput {
  roleArn: string;
  region: string | null;
  sessionName: string;
  durationSeconds: number;
  token: string;
}

/**
 * What an assume call came to. Never the credentials: the gateway drops them before returning, so
 * verification cannot leak them into a log, an error or a reply.
 */
export type AssumeOutcome = { ok: true } | { ok: false; code: string; message: string; retryable: boolean };

/** runtrail's platform identity talking to STS (adapter: the AWS SDK in production, anything in tests). */
export abstract class StsGateway {
  abstract assumeRole(input: AssumeRoleInput): Promise<AssumeOutcome>;
  abstract assumeRoleWithWebIdentity(input: WebIdentityInput): Promise<AssumeOutcome>;
  /** The platform identity's AWS account id (GetCallerIdentity). */
  abstract platformAccountId(): Promise<string>;
}
