import { AwsApiError, validationError } from '../../http/aws-api.error';
import { memberList, memberStructs, type QueryParams } from '../../http/query-protocol';
import { compilePolicy, MalformedPolicyError, type CompiledPolicy } from '../../policy/compile-policy';
import type { IamStore } from '../../state/iam-store';

interface StringRule {
  min: number;
  max: number;
  pattern?: RegExp;
  patternText?: string;
}

// Limits and patterns of the STS 2011-06-15 model.
export const RULES = {
  roleArn: { min: 20, max: 2048 },
  roleSessionName: { min: 2, max: 64, pattern: /^[\w+=,.@-]*$/, patternText: '[\\w+=,.@-]*' },
  externalId: { min: 2, max: 1224, pattern: /^[\w+=,.@:/-]*$/, patternText: '[\\w+=,.@:\\/-]*' },
  sourceIdentity: { min: 2, max: 64, pattern: /^[\w+=,.@-]*$/, patternText: '[\\w+=,.@-]*' },
  webIdentityToken: { min: 4, max: 20000 },
  policy: { min: 1, max: 2048 },
} satisfies Record<string, StringRule>;

const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role(\/.*\/|\/)([\w+=,.@-]{1,64})$/;

/** A string parameter checked against its model rule; undefined when optional and absent. */
export function stringParam(
  params: QueryParams,
  name: string,
  field: keyof typeof RULES,
  required: boolean,
): string | undefined {
  const value = params.get(name);
  if (value === undefined) {
    if (required) throw validationError(field, null, 'Member must not be null');
    return undefined;
  }
  const rule: StringRule = RULES[field];
  if (value.length < rule.min)
    throw validationError(field, value, `Member must have length greater than or equal to ${rule.min}`);
  if (value.length > rule.max)
    throw validationError(field, value, `Member must have length less than or equal to ${rule.max}`);
  if (rule.pattern && !rule.pattern.test(value)) {
    throw validationError(
      field,
      value,
      `Member must satisfy regular expression pattern: ${rule.patternText}`,
    );
  }
  return value;
}

export function durationParam(params: QueryParams): number | null {
  const raw = params.get('DurationSeconds');
  if (raw === undefined) return null;
  const n = Number(raw);
  if (!/^\d+$/.test(raw)) throw validationError('durationSeconds', raw, 'Member must be an integer');
  if (n < 900)
    throw validationError('durationSeconds', raw, 'Member must have value greater than or equal to 900');
  if (n > 43200)
    throw validationError('durationSeconds', raw, 'Member must have value less than or equal to 43200');
  return n;
}

export interface RoleArnParts {
  partition: string;
  accountId: string;
  path: string;
  name: string;
}

export function parseRoleArn(arn: string): RoleArnParts | null {
  const m = ROLE_ARN.exec(arn);
  return m ? { partition: m[1], accountId: m[2], path: m[3], name: m[4] } : null;
}

export interface SessionTags {
  tags: Record<string, string>;
  transitiveTagKeys: string[];
}

/** `Tags.member.N.Key/Value` and `TransitiveTagKeys.member.N`, validated like STS does. */
export function sessionTagsParam(params: QueryParams): SessionTags {
  const list = memberStructs(params, 'Tags', ['Key', 'Value']);
  if (list.length > 50)
    throw validationError(
      'tags',
      `[${list.length} tags]`,
      'Member must have length less than or equal to 50',
    );
  const tags: Record<string, string> = {};
  const seen = new Set<string>();
  for (const { Key: key = '', Value: value = '' } of list) {
    if (key.length < 1 || key.length > 128 || !TAG_KEY.test(key)) {
      throw validationError(
        'tags.member.key',
        key,
        'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+',
      );
    }
    if (value.length > 256 || !TAG_VALUE.test(value)) {
      throw validationError(
        'tags.member.value',
        value,
        'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*',
      );
    }
    if (seen.has(key.toLowerCase())) {
      throw new AwsApiError(
        'InvalidParameterValue',
        'Duplicate tag keys found. Please note that Tag keys are case insensitive.',
      );
    }
    seen.add(key.toLowerCase());
    tags[key] = value;
  }
  const transitiveTagKeys = memberList(params, 'TransitiveTagKeys');
  for (const key of transitiveTagKeys) {
    if (!seen.has(key.toLowerCase())) {
      throw new AwsApiError(
        'InvalidParameterValue',
        'The specified transitive tag key must be included in the requested tags.',
      );
    }
  }
  return { tags, transitiveTagKeys };
}

/** Session policies (`Policy`, `PolicyArns.member.N.arn`); null when neither is given. */
export function sessionPoliciesParam(
  params: QueryParams,
  iam: IamStore,
  roleAccountId: string,
): { policies: CompiledPolicy[] | null; size: number } {
  const text = stringParam(params, 'Policy', 'policy', false);
  const arns = memberStructs(params, 'PolicyArns', ['arn']).map((p) => p['arn'] ?? '');
  if (arns.length > 10)
    throw validationError(
      'policyArns',
      `[${arns.length} arns]`,
      'Member must have length less than or equal to 10',
    );
  if (text === undefined && arns.length === 0) return { policies: null, size: 0 };
  const policies: CompiledPolicy[] = [];
  if (text !== undefined) {
    try {
      policies.push(compilePolicy(text, 'session'));
    } catch (error) {
      if (error instanceof MalformedPolicyError)
        throw new AwsApiError('MalformedPolicyDocument', error.message);
      throw error;
    }
  }
  for (const arn of arns) {
    const managed = iam.managedPolicy(roleAccountId, arn);
    if (managed) policies.push(managed.policy);
  }
  return { policies, size: (text?.length ?? 0) + arns.join('').length };
}
