import { AwsApiError } from '../../http/aws-api.error';
import type { ActionDef } from '../action.types';
import { callerArn } from '../caller.types';

/** sts:GetCallerIdentity: always allowed, even under an explicit deny, as in AWS. */
export const getCallerIdentityAction: ActionDef = {
  service: 'sts',
  name: 'GetCallerIdentity',
  readOnly: true,
  handle(ctx) {
    const caller = ctx.caller;
    if (caller.kind === 'anonymous')
      throw new AwsApiError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
    const userId = caller.kind === 'user' ? caller.user.userId : caller.session.assumedRoleId;
    return {
      result: { UserId: userId, Account: caller.accountId, Arn: callerArn(caller) },
      trail: { requestParameters: null, responseElements: null },
    };
  },
};
