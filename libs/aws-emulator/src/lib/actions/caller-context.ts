import { ContextBuilder } from '../policy/request-context';
import type { PrincipalFacts } from '../policy/evaluate-policy';
import type { ActionContext } from './action.types';
import type { SignedCaller } from './caller.types';

/** The principal as policies' Principal elements see it. */
export function principalFacts(caller: SignedCaller): PrincipalFacts {
  if (caller.kind === 'user')
    return { accountId: caller.accountId, arns: [caller.user.arn], federated: null };
  return {
    accountId: caller.accountId,
    arns: [caller.session.roleArn, caller.session.assumedRoleArn],
    federated: null,
  };
}

/** Global condition keys every request carries (`aws:CurrentTime`, `aws:SourceIp`...). */
export function requestContext(ctx: ActionContext): ContextBuilder {
  return new ContextBuilder()
    .set('aws:CurrentTime', ctx.now.toISOString())
    .set('aws:EpochTime', String(Math.floor(ctx.now.getTime() / 1000)))
    .set('aws:SourceIp', ctx.sourceIp)
    .set('aws:UserAgent', ctx.userAgent)
    .set('aws:SecureTransport', 'false')
    .set('aws:RequestedRegion', ctx.region);
}

/** Global keys plus the principal keys of a signed caller (`aws:PrincipalArn`, `aws:PrincipalTag/*`...). */
export function callerContext(ctx: ActionContext, caller: SignedCaller): ContextBuilder {
  const builder = requestContext(ctx).set('aws:PrincipalAccount', caller.accountId);
  if (caller.kind === 'user') {
    return builder
      .set('aws:PrincipalArn', caller.user.arn)
      .set('aws:PrincipalType', 'User')
      .set('aws:userid', caller.user.userId)
      .set('aws:username', caller.user.name)
      .tags('aws:PrincipalTag', caller.user.tags);
  }
  const s = caller.session;
  return builder
    .set('aws:PrincipalArn', s.roleArn)
    .set('aws:PrincipalType', 'AssumedRole')
    .set('aws:userid', s.assumedRoleId)
    .set('aws:SourceIdentity', s.sourceIdentity)
    .set('aws:FederatedProvider', s.webIdentity?.providerArn)
    .tags('aws:PrincipalTag', s.tags);
}
