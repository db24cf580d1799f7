import type { CompiledCondition, CompiledPolicy, CompiledStatement, PrincipalSpec } from './compile-policy';
import type { RequestContext } from './request-context';

/** Who is asking, as principal elements of a policy can name them. */
export interface PrincipalFacts {
  /** The account the principal belongs to (matches `arn:aws:iam::<acct>:root` and bare ids). */
  accountId: string | null;
  /** Every ARN that names the principal: a user ARN, or a role ARN plus its assumed-role ARN. */
  arns: string[];
  /** The OIDC provider ARN for web-identity callers. */
  federated: string | null;
}

export interface EvaluationRequest {
  action: string;
  /** Null for trust policies, which have no Resource element. */
  resource: string | null;
  principal: PrincipalFacts | null;
  context: RequestContext;
}

/**
 * `Allow` / `Deny` (an explicit deny) / `NotApplicable` (implicit deny). `principalMatch` tells
 * how an allowing statement matched the principal: `exact` (its ARN is named) or `account` (the
 * account or `*`), which decides whether a same-account caller also needs an identity policy.
 */
export interface Evaluation {
  decision: 'Allow' | 'Deny' | 'NotApplicable';
  principalMatch: 'exact' | 'account' | null;
}

/** Evaluates policies together: any explicit Deny wins, else any Allow, else implicit deny. */
export function evaluatePolicies(
  policies: readonly CompiledPolicy[],
  request: EvaluationRequest,
): Evaluation {
  let allowed: Evaluation | null = null;
  for (const policy of policies) {
    for (const statement of policy.statements) {
      const match = statementMatches(statement, request);
      if (!match) continue;
      if (statement.effect === 'Deny') return { decision: 'Deny', principalMatch: null };
      if (!allowed || (match === 'exact' && allowed.principalMatch !== 'exact')) {
        allowed = { decision: 'Allow', principalMatch: match === true ? null : match };
      }
    }
  }
  return allowed ?? { decision: 'NotApplicable', principalMatch: null };
}

// false when the statement does not apply; otherwise how the principal matched (true: no principal element).
function statementMatches(s: CompiledStatement, r: EvaluationRequest): false | true | 'exact' | 'account' {
  if (s.action && !s.action(r.action)) return false;
  if (s.notAction && s.notAction(r.action)) return false;
  if (r.resource !== null) {
    if (s.resource && !s.resource(r.resource)) return false;
    if (s.notResource && s.notResource(r.resource)) return false;
  }
  let principalMatch: true | 'exact' | 'account' = true;
  if (s.principal) {
    const m = r.principal ? matchPrincipal(s.principal, r.principal) : null;
    if (!m) return false;
    principalMatch = m;
  }
  if (s.notPrincipal && r.principal && matchPrincipal(s.notPrincipal, r.principal)) return false;
  for (const condition of s.conditions) if (!conditionHolds(condition, r.context)) return false;
  return principalMatch;
}

function matchPrincipal(spec: PrincipalSpec, who: PrincipalFacts): 'exact' | 'account' | null {
  if (who.federated) {
    if (spec.any || spec.federated.includes(who.federated)) return 'exact';
    return null;
  }
  for (const arn of who.arns) if (spec.aws.includes(arn)) return 'exact';
  if (spec.any || spec.aws.includes('*')) return 'account';
  if (who.accountId && spec.aws.includes(`arn:aws:iam::${who.accountId}:root`)) return 'account';
  return null;
}

/** One condition (operator x key x values) against the request context. */
export function conditionHolds(c: CompiledCondition, context: RequestContext): boolean {
  const { operator } = c;
  const present = context.get(c.key);
  const has = present !== undefined && present.length > 0;
  if (operator.isNull) {
    // `Null: true` means the key must be absent; several policy values are ORed.
    return c.values.some((v) => (v.toLowerCase() === 'true' ? !has : has));
  }
  const matchesAny = (value: string) => c.values.some((p) => operator.compare(value, p));
  if (operator.set === 'all') {
    if (!has) return true;
    return present.every((v) => (operator.negated ? !matchesAny(v) : matchesAny(v)));
  }
  if (operator.set === 'any') {
    if (!has) return false;
    return present.some((v) => (operator.negated ? !matchesAny(v) : matchesAny(v)));
  }
  if (!has) return operator.ifExists || operator.negated;
  // Negated operators are a NOR over the policy values; a multivalued key matches through any value.
  const anyMatch = present.some(matchesAny);
  return operator.negated ? !anyMatch : anyMatch;
}
