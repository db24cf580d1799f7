import { AwsApiError, validationError } from '../../http/aws-api.error';
import type { Role } from '../../state/iam.types';
import { newUniqueId } from '../../state/credential-ids';
import type { ActionDef } from '../action.types';
import { requestParametersOf } from '../request-parameters';
import {
  authorizeIam,
  authorizedRole,
  nameParam,
  page,
  pathParam,
  policyParam,
  roleArn,
  roleResources,
  roleShape,
  roleTrailShape,
  signedCaller,
  tagsParam,
} from './iam-shapes';

export const createRoleAction: ActionDef = {
  service: 'iam',
  name: 'CreateRole',
  readOnly: false,
  handle(ctx) {
    const { caller, account } = signedCaller(ctx);
    const name = nameParam(ctx.params, 'RoleName', 'roleName');
    const path = pathParam(ctx.params);
    const arn = roleArn(account.id, path, name);
    authorizeIam(ctx, caller, 'CreateRole', arn);
    const trustPolicy = policyParam(
      ctx.params,
      'AssumeRolePolicyDocument',
      'assumeRolePolicyDocument',
      'trust',
    );
    const maxText = ctx.params.get('MaxSessionDuration');
    const maxSessionDuration = maxText === undefined ? 3600 : Number(maxText);
    if (!Number.isInteger(maxSessionDuration) || maxSessionDuration < 3600 || maxSessionDuration > 43200) {
      throw validationError('maxSessionDuration', maxText, 'Member must have value between 3600 and 43200');
    }
    const description = ctx.params.get('Description') ?? null;
    if (description !== null && description.length > 1000) {
      throw validationError('description', description, 'Member must have length less than or equal to 1000');
    }
    if (account.roles.has(name.toLowerCase()))
      throw new AwsApiError('EntityAlreadyExists', `Role with name ${name} already exists.`, 409);
    const role: Role = {
      accountId: account.id,
      name,
      path,
      roleId: newUniqueId('AROA'),
      arn,
      createDate: new Date(Math.floor(ctx.now.getTime() / 1000) * 1000),
      description,
      maxSessionDuration,
      trustPolicy,
      inlinePolicies: new Map(),
      attachedPolicyArns: [],
      tags: tagsParam(ctx.params),
    };
    ctx.core.iam.addRole(role);
    return {
      result: { Role: roleShape(role) },
      trail: {
        requestParameters: requestParametersOf(ctx.params),
        responseElements: roleTrailShape(role),
        resources: roleResources(role),
      },
    };
  },
};

export const getRoleAction: ActionDef = {
  service: 'iam',
  name: 'GetRole',
  readOnly: true,
  handle(ctx) {
    const found = authorizedRole(ctx, 'GetRole');
    return { result: { Role: roleShape(found) }, trail: { resources: roleResources(found) } };
  },
};

export const deleteRoleAction: ActionDef = {
  service: 'iam',
  name: 'DeleteRole',
  readOnly: false,
  handle(ctx) {
    const role = authorizedRole(ctx, 'DeleteRole');
    if (role.inlinePolicies.size > 0 || role.attachedPolicyArns.length > 0) {
      throw new AwsApiError('DeleteConflict', 'Cannot delete entity, must delete policies first.', 409);
    }
    ctx.core.iam.deleteRole(role);
    return { result: null, trail: { resources: roleResources(role) } };
  },
};

export const listRolesAction: ActionDef = {
  service: 'iam',
  name: 'ListRoles',
  readOnly: true,
  handle(ctx) {
    const { caller, account } = signedCaller(ctx);
    authorizeIam(ctx, caller, 'ListRoles', `arn:aws:iam::${account.id}:role/`);
    const prefix = ctx.params.get('PathPrefix') ?? '/';
    const roles = [...account.roles.values()]
      .filter((r) => r.path.startsWith(prefix))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const { items, marker } = page(roles, ctx.params, (r) => r.name);
    return {
      result: {
        Roles: { member: items.map((r) => roleShape(r, false)) },
        IsTruncated: marker !== null,
        ...(marker ? { Marker: marker } : {}),
      },
    };
  },
};

export const updateAssumeRolePolicyAction: ActionDef = {
  service: 'iam',
  name: 'UpdateAssumeRolePolicy',
  readOnly: false,
  handle(ctx) {
    const role = authorizedRole(ctx, 'UpdateAssumeRolePolicy');
    role.trustPolicy = policyParam(ctx.params, 'PolicyDocument', 'policyDocument', 'trust');
    return { result: null, trail: { resources: roleResources(role) } };
  },
};
