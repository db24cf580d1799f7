import { formatCloudTrailDate } from '@runtrail/cloudtrail';
import { AwsApiError, validationError } from '../../http/aws-api.error';
import type { QueryParams } from '../../http/query-protocol';
import { memberStructs } from '../../http/query-protocol';
import {
  compilePolicy,
  MalformedPolicyError,
  type CompiledPolicy,
  type PolicyKind,
} from '../../policy/compile-policy';
import type { Account, Role } from '../../state/iam.types';
import type { ActionContext } from '../action.types';
import { authorizeIdentity } from '../authorize-identity';
import { callerContext } from '../caller-context';
import type { SignedCaller } from '../caller.types';

const NAME = /^[\w+=,.@-]+$/;
const PATH = /^(\/|\/[\x21-\x7e]+\/)$/;

/**
 * The signed caller and its account (IAM is per account; a caller always acts in its own).
 * MissingAuthenticationToken for an anonymous request, NoSuchEntity if the account is gone.
 */
export function signedCaller(ctx: ActionContext): { caller: SignedCaller; account: Account } {
  if (ctx.caller.kind === 'anonymous')
    throw new AwsApiError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
  const caller = ctx.caller;
  const account = ctx.core.iam.account(caller.accountId);
  if (!account) throw new AwsApiError('NoSuchEntity', `The account ${caller.accountId} does not exist.`, 404);
  return { caller, account };
}

/** Throws AccessDenied unless the caller's policies allow `iam:<action>` on the resource. */
export function authorizeIam(
  ctx: ActionContext,
  caller: SignedCaller,
  action: string,
  resource: string,
): void {
  authorizeIdentity(ctx.core, caller, `iam:${action}`, resource, callerContext(ctx, caller).build());
}

export function nameParam(params: QueryParams, name: string, field: string, max = 64): string {
  const value = params.get(name);
  if (value === undefined) throw validationError(field, null, 'Member must not be null');
  if (value.length < 1 || value.length > max)
    throw validationError(field, value, `Member must have length less than or equal to ${max}`);
  if (!NAME.test(value))
    throw validationError(field, value, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
  return value;
}

export function pathParam(params: QueryParams): string {
  const value = params.get('Path') ?? '/';
  if (!PATH.test(value) || value.length > 512) {
    throw validationError(
      'path',
      value,
      'Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)',
    );
  }
  return value;
}

export function policyParam(
  params: QueryParams,
  name: string,
  field: string,
  kind: PolicyKind,
): CompiledPolicy {
  const text = params.get(name);
  if (text === undefined) throw validationError(field, null, 'Member must not be null');
  try {
    return compilePolicy(text, kind);
  } catch (error) {
    if (error instanceof MalformedPolicyError)
      throw new AwsApiError('MalformedPolicyDocument', error.message);
    throw error;
  }
}

export function tagsParam(params: QueryParams): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const { Key, Value } of memberStructs(params, 'Tags', ['Key', 'Value']))
    if (Key) tags[Key] = Value ?? '';
  return tags;
}

function findRoleOrThrow(account: Account, name: string): Role {
  const role = account.roles.get(name.toLowerCase());
  if (!role) throw new AwsApiError('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);
  return role;
}

/**
 * Authorises `iam:<action>` on the role named by `RoleName`, then returns it (NoSuchEntity when
 * missing). As in IAM, the check runs before the lookup (a caller without permission gets
 * AccessDenied, not NoSuchEntity), on the role's ARN or, for a missing role, its default-path ARN.
 */
export function authorizedRole(ctx: ActionContext, action: string): Role {
  const { caller, account } = signedCaller(ctx);
  const name = nameParam(ctx.params, 'RoleName', 'roleName');
  authorizeIam(
    ctx,
    caller,
    action,
    account.roles.get(name.toLowerCase())?.arn ?? roleArn(account.id, '/', name),
  );
  return findRoleOrThrow(account, name);
}

export function roleArn(accountId: string, path: string, name: string): string {
  return `arn:aws:iam::${accountId}:role${path}${name}`;
}

function tagList(tags: Record<string, string>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** IAM's Role structure (the trust policy URL-encoded, as IAM returns it). */
export function roleShape(role: Role, withTags = true): Record<string, unknown> {
  return {
    Path: role.path,
    RoleName: role.name,
    RoleId: role.roleId,
    Arn: role.arn,
    CreateDate: role.createDate.toISOString(),
    AssumeRolePolicyDocument: encodeURIComponent(role.trustPolicy.text),
    ...(role.description !== null ? { Description: role.description } : {}),
    MaxSessionDuration: role.maxSessionDuration,
    ...(withTags && Object.keys(role.tags).length ? { Tags: { member: tagList(role.tags) } } : {}),
  };
}

/** The role as CloudTrail writes it in responseElements (camel case, IAM-style createDate). */
export function roleTrailShape(role: Role): Record<string, unknown> {
  return {
    role: {
      assumeRolePolicyDocument: encodeURIComponent(role.trustPolicy.text),
      arn: role.arn,
      roleId: role.roleId,
      createDate: formatCloudTrailDate(role.createDate, 'iam'),
      roleName: role.name,
      path: role.path,
      ...(role.description !== null ? { description: role.description } : {}),
      maxSessionDuration: role.maxSessionDuration,
      ...(Object.keys(role.tags).length
        ? { tags: Object.entries(role.tags).map(([key, value]) => ({ key, value })) }
        : {}),
    },
  };
}

export function roleResources(role: {
  accountId: string;
  arn: string;
}): { accountId: string; type: string; ARN: string }[] {
  return [{ accountId: role.accountId, type: 'AWS::IAM::Role', ARN: role.arn }];
}

/** `Marker`/`MaxItems` paging over a sorted list. */
export function page<T>(
  items: T[],
  params: QueryParams,
  keyOf: (item: T) => string,
): { items: T[]; marker: string | null } {
  const maxItems = Number(params.get('MaxItems') ?? 100);
  if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 1000) {
    throw validationError('maxItems', params.get('MaxItems'), 'Member must have value between 1 and 1000');
  }
  const marker = params.get('Marker');
  const after = marker ? Buffer.from(marker, 'base64url').toString('utf8') : null;
  const rest = after === null ? items : items.filter((i) => keyOf(i) > after);
  const slice = rest.slice(0, maxItems);
  const more = rest.length > maxItems;
  return {
    items: slice,
    marker: more ? Buffer.from(keyOf(slice[slice.length - 1])).toString('base64url') : null,
  };
}
