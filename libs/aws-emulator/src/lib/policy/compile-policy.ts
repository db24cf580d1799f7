import { parseOperator, type ParsedOperator } from './condition-operators';
import { policyDocumentSchema, type PolicyStatement } from './policy-document.schema';
import { wildcardMatcher } from './wildcard';

export interface CompiledCondition {
  operator: ParsedOperator;
  key: string;
  values: string[];
}

export interface PrincipalSpec {
  /** `"Principal": "*"`: everyone, federated users included (`{"AWS": "*"}` is AWS principals only). */
  any: boolean;
  aws: string[];
  federated: string[];
  service: string[];
}

export interface CompiledStatement {
  sid: string | null;
  effect: 'Allow' | 'Deny';
  principal: PrincipalSpec | null;
  notPrincipal: PrincipalSpec | null;
  action: ((action: string) => boolean) | null;
  notAction: ((action: string) => boolean) | null;
  resource: ((resource: string) => boolean) | null;
  notResource: ((resource: string) => boolean) | null;
  conditions: CompiledCondition[];
}

/** A policy parsed once, when stored, so that evaluation on the request path does no parsing. */
export interface CompiledPolicy {
  /** The document exactly as it was given (IAM returns it URL-encoded). */
  text: string;
  statements: CompiledStatement[];
}

export type PolicyKind = 'trust' | 'identity' | 'session';

export class MalformedPolicyError extends Error {
  override readonly name = 'MalformedPolicyError';
}

/**
 * Validates and compiles a policy document. Throws `MalformedPolicyError` with IAM-like wording
 * when the JSON, the grammar or a condition operator is wrong, or when an element is missing or
 * prohibited for the kind of policy (a trust policy needs a principal; others must not have one).
 */
export function compilePolicy(text: string, kind: PolicyKind): CompiledPolicy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new MalformedPolicyError('Syntax errors in policy.');
  }
  const parsed = policyDocumentSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MalformedPolicyError(
      `Invalid policy document: ${issue.path.join('.') || 'document'}: ${issue.message}`,
    );
  }
  return { text, statements: parsed.data.Statement.map((s) => compileStatement(s, kind)) };
}

function compileStatement(s: PolicyStatement, kind: PolicyKind): CompiledStatement {
  const hasPrincipal = s.Principal !== undefined || s.NotPrincipal !== undefined;
  if (kind === 'trust' && !hasPrincipal) throw new MalformedPolicyError('Missing required field Principal');
  if (kind !== 'trust' && hasPrincipal)
    throw new MalformedPolicyError('Policy document should not specify a principal.');
  if (kind !== 'trust' && s.Resource === undefined && s.NotResource === undefined) {
    throw new MalformedPolicyError('Policy statement must contain resources.');
  }
  return {
    sid: s.Sid ?? null,
    effect: s.Effect,
    principal: s.Principal === undefined ? null : compilePrincipal(s.Principal),
    notPrincipal: s.NotPrincipal === undefined ? null : compilePrincipal(s.NotPrincipal),
    action: s.Action === undefined ? null : anyOf(list(s.Action), true),
    notAction: s.NotAction === undefined ? null : anyOf(list(s.NotAction), true),
    resource: s.Resource === undefined ? null : anyOf(list(s.Resource), false),
    notResource: s.NotResource === undefined ? null : anyOf(list(s.NotResource), false),
    conditions: compileConditions(s.Condition ?? {}),
  };
}

function compileConditions(block: NonNullable<PolicyStatement['Condition']>): CompiledCondition[] {
  const out: CompiledCondition[] = [];
  for (const [operatorName, keys] of Object.entries(block)) {
    const operator = parseOperator(operatorName);
    if (!operator) throw new MalformedPolicyError(`Invalid Condition type : ${operatorName}`);
    for (const [key, value] of Object.entries(keys)) {
      const values = (Array.isArray(value) ? value : [value]).map(String);
      out.push({ operator, key: key.toLowerCase(), values });
    }
  }
  return out;
}

function compilePrincipal(p: NonNullable<PolicyStatement['Principal']>): PrincipalSpec {
  if (p === '*') return { any: true, aws: [], federated: [], service: [] };
  const aws = list(p.AWS).map(normaliseAwsPrincipal);
  return { any: false, aws, federated: list(p.Federated), service: list(p.Service) };
}

// IAM stores a bare account id as the account's root ARN.
function normaliseAwsPrincipal(value: string): string {
  return /^\d{12}$/.test(value) ? `arn:aws:iam::${value}:root` : value;
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function anyOf(patterns: string[], ignoreCase: boolean): (value: string) => boolean {
  const matchers = patterns.map((p) => wildcardMatcher(p, ignoreCase));
  return matchers.length === 1 ? matchers[0] : (value) => matchers.some((m) => m(value));
}
