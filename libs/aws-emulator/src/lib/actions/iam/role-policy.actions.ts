import { AwsApiError, validationError } from '../../http/aws-api.error';
import type { ActionContext, ActionDef } from '../action.types';
import { authorizedRole, nameParam, page, policyParam, roleResources } from './iam-shapes';

const POLICY_ARN = /^arn:aws:iam::(aws|\d{12}):policy\/.+/;

function policyArnParam(ctx: ActionContext): string {
  const arn = ctx.params.get('PolicyArn');
  if (arn === undefined) throw validationError('policyArn', null, 'Member must not be null');
  if (!POLICY_ARN.test(arn)) throw new AwsApiError('InvalidInput', `ARN ${arn} is not valid.`);
  return arn;
}

export const putRolePolicyAction: ActionDef = {
  service: 'iam',
  name: 'PutRolePolicy',
  readOnly: false,
  handle(ctx) {
    const role = authorizedRole(ctx, 'PutRolePolicy');
    const policyName = nameParam(ctx.params, 'PolicyName', 'policyName', 128);
    role.inlinePolicies.set(
      policyName,
      policyParam(ctx.params, 'PolicyDocument', 'policyDocument', 'identity'),
    );
    return { result: null, trail: { resources: roleResources(role) } };
  },
};

export const getRolePolicyAction: ActionDef = {
  service: 'iam',
  name: 'GetRolePolicy',
  readOnly: true,
  handle(ctx) {
    const role = authorizedRole(ctx, 'GetRolePolicy');
    const policyName = nameParam(ctx.params, 'PolicyName', 'policyName', 128);
    const policy = role.inlinePolicies.get(policyName);
    if (!policy)
      throw new AwsApiError('NoSuchEntity', `The role policy with name ${policyName} cannot be found.`, 404);
    return {
      result: {
        RoleName: role.name,
        PolicyName: policyName,
        PolicyDocument: encodeURIComponent(policy.text),
      },
      trail: { resources: roleResources(role) },
    };
  },
};

export const deleteRolePolicyAction: ActionDef = {
  service: 'iam',
  name: 'DeleteRolePolicy',
  readOnly: false,
  handle(ctx) {
    const role = authorizedRole(ctx, 'DeleteRolePolicy');
    const policyName = nameParam(ctx.params, 'PolicyName', 'policyName', 128);
    if (!role.inlinePolicies.delete(policyName)) {
      throw new AwsApiError('NoSuchEntity', `The role policy with name ${policyName} cannot be found.`, 404);
    }
    return { result: null, trail: { resources: roleResources(role) } };
  },
};

export const listRolePoliciesAction: ActionDef = {
  service: 'iam',
  name: 'ListRolePolicies',
  readOnly: true,
  handle(ctx) {
    const role = authorizedRole(ctx, 'ListRolePolicies');
    const { items, marker } = page([...role.inlinePolicies.keys()].sort(), ctx.params, (n) => n);
    return {
      result: {
        PolicyNames: { member: items },
        IsTruncated: marker !== null,
        ...(marker ? { Marker: marker } : {}),
      },
    };
  },
};

export const attachRolePolicyAction: ActionDef = {
  service: 'iam',
  name: 'AttachRolePolicy',
  readOnly: false,
  handle(ctx) {
    const role = authorizedRole(ctx, 'AttachRolePolicy');
    const arn = policyArnParam(ctx);
    const known = arn.startsWith('arn:aws:iam::aws:') || ctx.core.iam.managedPolicy(role.accountId, arn);
    if (!known)
      throw new AwsApiError('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`, 404);
    if (!role.attachedPolicyArns.includes(arn)) role.attachedPolicyArns.push(arn);
    return { result: null, trail: { resources: roleResources(role) } };
  },
};

export const detachRolePolicyAction: ActionDef = {
  service: 'iam',
  name: 'DetachRolePolicy',
  readOnly: false,
  handle(ctx) {
    const role = authorizedRole(ctx, 'DetachRolePolicy');
    const arn = policyArnParam(ctx);
    const at = role.attachedPolicyArns.indexOf(arn);
    if (at === -1) throw new AwsApiError('NoSuchEntity', `Policy ${arn} was not found.`, 404);
    role.attachedPolicyArns.splice(at, 1);
    return { result: null, trail: { resources: roleResources(role) } };
  },
};

export const listAttachedRolePoliciesAction: ActionDef = {
  service: 'iam',
  name: 'ListAttachedRolePolicies',
  readOnly: true,
  handle(ctx) {
    const role = authorizedRole(ctx, 'ListAttachedRolePolicies');
    const { items, marker } = page([...role.attachedPolicyArns].sort(), ctx.params, (a) => a);
    return {
      result: {
        AttachedPolicies: {
          member: items.map((arn) => ({ PolicyName: arn.slice(arn.lastIndexOf('/') + 1), PolicyArn: arn })),
        },
        IsTruncated: marker !== null,
        ...(marker ? { Marker: marker } : {}),
      },
    };
  },
};
