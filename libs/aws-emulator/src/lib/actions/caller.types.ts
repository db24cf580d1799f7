import type { IamUser } from '../state/iam.types';
import type { RoleSession } from '../state/session-store';

/** Who signed the request, once its signature has been verified. */
export type Caller =
  | { kind: 'user'; accountId: string; accessKeyId: string; user: IamUser }
  | { kind: 'session'; accountId: string; accessKeyId: string; session: RoleSession }
  /** Unsigned calls (AssumeRoleWithWebIdentity): the token is the credential. */
  | { kind: 'anonymous' };

export type SignedCaller = Exclude<Caller, { kind: 'anonymous' }>;

/** The ARN AWS names in `User: <arn> is not authorized...` and GetCallerIdentity. */
export function callerArn(caller: SignedCaller): string {
  return caller.kind === 'user' ? caller.user.arn : caller.session.assumedRoleArn;
}
