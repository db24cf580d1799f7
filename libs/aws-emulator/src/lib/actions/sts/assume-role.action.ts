import { AwsApiError } from '../../http/aws-api.error';
import type { Role } from '../../state/iam.types';
import type { ActionContext, ActionDef, ActionResult } from '../action.types';
import { identityDecision } from '../authorize-identity';
import { callerContext, principalFacts } from '../caller-context';
import { callerArn, type SignedCaller } from '../caller.types';
import { requestParametersOf } from '../request-parameters';
import { checkTrust } from './check-trust';
import { issueSession, roleResource, sessionResponseElements, sessionResult } from './issue-session';
import {
  durationParam,
  parseRoleArn,
  sessionPoliciesParam,
  sessionTagsParam,
  stringParam,
} from './sts-params';

const CHAINED_MAX_SECONDS = 3600;

/**
 * sts:AssumeRole. The role's trust policy must allow the caller (and sts:TagSession /
 * sts:SetSourceIdentity when used); a caller from another account, or one trusted only through
 * its account, also needs an identity policy allowing the same actions on the role. Role
 * chaining caps the duration at one hour and keeps the parent's SourceIdentity.
 */
export const assumeRoleAction: ActionDef = {
  service: 'sts',
  name: 'AssumeRole',
  readOnly: true,
  handle: assumeRole,
  // AWS drops requestParameters of a denied AssumeRole (the role ARN survives in errorMessage);
  // the failure is logged in the role's account too.
  onFailure: (ctx, error) => ({
    ...(error.code === 'AccessDenied' ? { requestParameters: null } : {}),
    responseElements: null,
    recipients: recipients(ctx),
  }),
};

function recipients(ctx: ActionContext): string[] {
  const own = ctx.caller.kind === 'anonymous' ? [] : [ctx.caller.accountId];
  const target = parseRoleArn(ctx.params.get('RoleArn') ?? '');
  return target && ctx.core.iam.account(target.accountId) ? [target.accountId, ...own] : own;
}

function assumeRole(ctx: ActionContext): ActionResult {
  const caller = ctx.caller;
  if (caller.kind === 'anonymous')
    throw new AwsApiError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
  const roleArn = stringParam(ctx.params, 'RoleArn', 'roleArn', true) ?? '';
  const sessionName = stringParam(ctx.params, 'RoleSessionName', 'roleSessionName', true) ?? '';
  const externalId = stringParam(ctx.params, 'ExternalId', 'externalId', false);
  const requestedSourceIdentity = stringParam(ctx.params, 'SourceIdentity', 'sourceIdentity', false);
  const duration = durationParam(ctx.params);
  const requested = sessionTagsParam(ctx.params);

  const denied = (action: string) =>
    new AwsApiError(
      'AccessDenied',
      `User: ${callerArn(caller)} is not authorized to perform: ${action} on resource: ${roleArn}`,
      403,
    );
  const role = findRole(ctx, roleArn);
  if (!role) throw denied('sts:AssumeRole');
  const policies = sessionPoliciesParam(ctx.params, ctx.core.iam, role.accountId);

  const parent = caller.kind === 'session' ? caller.session : null;
  if (parent && duration !== null && duration > CHAINED_MAX_SECONDS) {
    throw new AwsApiError(
      'ValidationError',
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
  }
  const durationSeconds = duration ?? 3600;
  if (durationSeconds > role.maxSessionDuration) {
    throw new AwsApiError(
      'ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
  }
  if (
    parent?.sourceIdentity &&
    requestedSourceIdentity &&
    requestedSourceIdentity !== parent.sourceIdentity
  ) {
    throw new AwsApiError(
      'ValidationError',
      `The source identity of a role session cannot be changed: the calling session's SourceIdentity is '${parent.sourceIdentity}'.`,
    );
  }
  const sourceIdentity = parent?.sourceIdentity ?? requestedSourceIdentity ?? null;
  const { tags, transitiveTagKeys } = withInheritedTags(parent, requested.tags, requested.transitiveTagKeys);
  const passesTags = Object.keys(requested.tags).length > 0;

  const context = callerContext(ctx, caller)
    .set('sts:ExternalId', externalId)
    .set('sts:RoleSessionName', sessionName)
    .set('sts:SourceIdentity', sourceIdentity)
    .tags('aws:RequestTag', requested.tags)
    .setMany('aws:TagKeys', passesTags ? Object.keys(requested.tags) : null)
    .setMany('sts:TransitiveTagKeys', requested.transitiveTagKeys.length ? requested.transitiveTagKeys : null)
    .build();
  const actions = [
    'sts:AssumeRole',
    ...(passesTags ? ['sts:TagSession'] : []),
    ...(sourceIdentity ? ['sts:SetSourceIdentity'] : []),
  ];
  const trust = checkTrust(role, principalFacts(caller), actions, context);
  if (!trust.ok) throw denied(trust.action);
  if (caller.accountId !== role.accountId || trust.principalMatch !== 'exact') {
    for (const action of actions)
      if (!identityDecision(ctx.core, caller, action, role.arn, context).allowed) throw denied(action);
  }

  const issued = issueSession(ctx.core.sessions, {
    role,
    sessionName,
    durationSeconds,
    now: ctx.now,
    sourceIdentity,
    tags,
    transitiveTagKeys,
    chained: parent !== null,
    via: 'AssumeRole',
    webIdentity: null,
    sessionPolicies: policies.policies,
    packedChars: policies.size,
  });
  return {
    result: sessionResult(issued),
    trail: {
      requestParameters: requestParametersOf(ctx.params),
      responseElements: sessionResponseElements(issued),
      resources: [roleResource(role)],
      recipients: [role.accountId, caller.accountId],
    },
  };
}

/** The role an ARN names, if it exists with exactly that path. */
export function findRole(ctx: ActionContext, roleArn: string): Role | null {
  const target = parseRoleArn(roleArn);
  if (!target) return null;
  const role = ctx.core.iam.role(target.accountId, target.name);
  return role && role.path === target.path && role.name === target.name ? role : null;
}

// A chained session keeps its parent's transitive tags; a request may not redefine them.
function withInheritedTags(
  parent: Extract<SignedCaller, { kind: 'session' }>['session'] | null,
  tags: Record<string, string>,
  transitiveTagKeys: string[],
): { tags: Record<string, string>; transitiveTagKeys: string[] } {
  if (!parent || parent.transitiveTagKeys.length === 0) return { tags, transitiveTagKeys };
  const inherited: Record<string, string> = {};
  for (const key of parent.transitiveTagKeys) inherited[key] = parent.tags[key] ?? '';
  const clash = Object.keys(tags).find((k) =>
    Object.keys(inherited).some((i) => i.toLowerCase() === k.toLowerCase()),
  );
  if (clash) {
    throw new AwsApiError(
      'InvalidParameterValue',
      `The session tag '${clash}' is a transitive tag of the calling session and cannot be overridden.`,
    );
  }
  return {
    tags: { ...inherited, ...tags },
    transitiveTagKeys: [...parent.transitiveTagKeys, ...transitiveTagKeys],
  };
}
