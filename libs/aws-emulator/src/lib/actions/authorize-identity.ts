import type { CompiledPolicy } from '../policy/compile-policy';
import { evaluatePolicies } from '../policy/evaluate-policy';
import type { RequestContext } from '../policy/request-context';
import { AwsApiError } from '../http/aws-api.error';
import type { EmulatorCore } from './action.types';
import { callerArn, type SignedCaller } from './caller.types';

export type IdentityDecision =
  { allowed: true } | { allowed: false; why: 'explicit' | 'implicit' | 'session' };

/**
 * Decides a call by the caller's identity-based policies: a user's inline and attached policies,
 * or the assumed role's (intersected with the session policies when the session has any).
 * Permission boundaries, SCPs and resource policies are not modelled.
 */
export function identityDecision(
  core: EmulatorCore,
  caller: SignedCaller,
  action: string,
  resource: string,
  context: RequestContext,
): IdentityDecision {
  const request = { action, resource, principal: null, context };
  let policies: CompiledPolicy[];
  if (caller.kind === 'user') policies = core.iam.identityPolicies(caller.user);
  else {
    const role = core.iam.role(caller.session.accountId, caller.session.roleName);
    policies = role && role.roleId === caller.session.roleId ? core.iam.identityPolicies(role) : [];
  }
  const decision = evaluatePolicies(policies, request).decision;
  if (decision === 'Deny') return { allowed: false, why: 'explicit' };
  if (decision !== 'Allow') return { allowed: false, why: 'implicit' };
  const sessionPolicies = caller.kind === 'session' ? caller.session.sessionPolicies : null;
  if (sessionPolicies) {
    const s = evaluatePolicies(sessionPolicies, request).decision;
    if (s === 'Deny') return { allowed: false, why: 'explicit' };
    if (s !== 'Allow') return { allowed: false, why: 'session' };
  }
  return { allowed: true };
}

/** AWS's AccessDenied wording for an identity-policy refusal. */
export function identityDenied(
  caller: SignedCaller,
  action: string,
  resource: string | null,
  why: 'explicit' | 'implicit' | 'session',
): AwsApiError {
  const reason =
    why === 'explicit'
      ? 'with an explicit deny in an identity-based policy'
      : why === 'session'
        ? `because no session policy allows the ${action} action`
        : `because no identity-based policy allows the ${action} action`;
  const on = resource ? ` on resource: ${resource}` : '';
  return new AwsApiError(
    'AccessDenied',
    `User: ${callerArn(caller)} is not authorized to perform: ${action}${on} ${reason}`,
    403,
  );
}

/** Throws AccessDenied unless the caller's identity policies allow the action on the resource. */
export function authorizeIdentity(
  core: EmulatorCore,
  caller: SignedCaller,
  action: string,
  resource: string,
  context: RequestContext,
): void {
  const decision = identityDecision(core, caller, action, resource, context);
  if (!decision.allowed) throw identityDenied(caller, action, resource, decision.why);
}
