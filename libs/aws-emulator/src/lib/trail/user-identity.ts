import type { CloudTrailUserIdentity } from '@runtrail/cloudtrail';
import { formatCloudTrailDate } from '@runtrail/cloudtrail';
import type { Caller } from '../actions/caller.types';

/** The `userIdentity` block CloudTrail writes for a caller. */
export function userIdentityOf(caller: Caller): CloudTrailUserIdentity {
  if (caller.kind === 'anonymous') return { type: 'Unknown', principalId: '', accountId: '' };
  if (caller.kind === 'user') {
    const { user } = caller;
    return {
      type: 'IAMUser',
      principalId: user.userId,
      arn: user.arn,
      accountId: user.accountId,
      accessKeyId: caller.accessKeyId,
      userName: user.name,
    };
  }
  const s = caller.session;
  return {
    type: 'AssumedRole',
    principalId: s.assumedRoleId,
    arn: s.assumedRoleArn,
    accountId: s.accountId,
    accessKeyId: caller.accessKeyId,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: s.roleId,
        arn: s.roleArn,
        accountId: s.accountId,
        userName: s.roleName,
      },
      webIdFederationData: s.webIdentity
        ? { federatedProvider: s.webIdentity.providerArn, attributes: {} }
        : {},
      attributes: { creationDate: formatCloudTrailDate(s.issuedAt, 'iso'), mfaAuthenticated: 'false' },
      ...(s.sourceIdentity ? { sourceIdentity: s.sourceIdentity } : {}),
    },
  };
}

/** The identity of an AssumeRoleWithWebIdentity caller, as far as its token tells. */
export function webIdentityUser(
  providerArn: string | null,
  audience: string | null,
  subject: string | null,
): CloudTrailUserIdentity {
  return {
    type: 'WebIdentityUser',
    principalId: [providerArn, audience, subject].filter(Boolean).join(':'),
    userName: subject ?? '',
    identityProvider: providerArn ?? '',
  };
}
