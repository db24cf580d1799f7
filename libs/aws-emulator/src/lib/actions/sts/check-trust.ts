import { evaluatePolicies, type PrincipalFacts } from '../../policy/evaluate-policy';
import type { RequestContext } from '../../policy/request-context';
import type { Role } from '../../state/iam.types';

export type TrustOutcome =
  { ok: true; principalMatch: 'exact' | 'account' | null } | { ok: false; action: string };

/**
 * Every action must be allowed by the role's trust policy (sts:AssumeRole or
 * sts:AssumeRoleWithWebIdentity, plus sts:TagSession when tags are passed and
 * sts:SetSourceIdentity when a source identity is set); any explicit Deny refuses. Reports the
 * first refused action, which is what AWS names in its AccessDenied message.
 */
export function checkTrust(
  role: Role,
  principal: PrincipalFacts,
  actions: readonly string[],
  context: RequestContext,
): TrustOutcome {
  let principalMatch: 'exact' | 'account' | null = null;
  for (const action of actions) {
    const evaluation = evaluatePolicies([role.trustPolicy], { action, resource: null, principal, context });
    if (evaluation.decision !== 'Allow') return { ok: false, action };
    if (action === actions[0]) principalMatch = evaluation.principalMatch;
  }
  return { ok: true, principalMatch };
}
