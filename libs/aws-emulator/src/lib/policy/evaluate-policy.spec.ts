import { compilePolicy, MalformedPolicyError } from './compile-policy';
import { evaluatePolicies, type PrincipalFacts } from './evaluate-policy';
import { ContextBuilder } from './request-context';

const PLATFORM = '111111111111';
const user: PrincipalFacts = {
  accountId: PLATFORM,
  arns: [`arn:aws:iam::${PLATFORM}:user/runtrail`],
  federated: null,
};
const roleSession: PrincipalFacts = {
  accountId: PLATFORM,
  arns: [`arn:aws:iam::${PLATFORM}:role/ci`, `arn:aws:sts::${PLATFORM}:assumed-role/ci/run-1`],
  federated: null,
};
const GITHUB = 'token.actions.githubusercontent.com';
const federated: PrincipalFacts = {
  accountId: null,
  arns: [],
  federated: `arn:aws:iam::222222222222:oidc-provider/${GITHUB}`,
};

function trust(statements: object[]) {
  return compilePolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }), 'trust');
}

function allow(principal: object, condition?: object, action: string | string[] = 'sts:AssumeRole') {
  return {
    Effect: 'Allow',
    Principal: principal,
    Action: action,
    ...(condition ? { Condition: condition } : {}),
  };
}

function decide(
  policy: ReturnType<typeof trust>,
  who: PrincipalFacts,
  context: Record<string, string | string[]> = {},
  action = 'sts:AssumeRole',
) {
  const builder = new ContextBuilder();
  for (const [k, v] of Object.entries(context)) {
    if (Array.isArray(v)) builder.setMany(k, v);
    else builder.set(k, v);
  }
  return evaluatePolicies([policy], { action, resource: null, principal: who, context: builder.build() })
    .decision;
}

/** One condition block against several contexts: which of them are allowed. */
function cases(condition: object, contexts: Record<string, string | string[]>[]): boolean[] {
  const policy = trust([allow({ AWS: PLATFORM }, condition)]);
  return contexts.map((c) => decide(policy, user, c) === 'Allow');
}

describe('trust policy evaluation: principals', () => {
  it('matches account root ARN and bare account id as "account", a named ARN as "exact"', () => {
    for (const p of [`arn:aws:iam::${PLATFORM}:root`, PLATFORM]) {
      const evaluation = evaluatePolicies([trust([allow({ AWS: p })])], {
        action: 'sts:AssumeRole',
        resource: null,
        principal: user,
        context: new Map(),
      });
      expect(evaluation).toEqual({ decision: 'Allow', principalMatch: 'account' });
    }
    const exact = evaluatePolicies(
      [trust([allow({ AWS: [`arn:aws:iam::999999999999:root`, user.arns[0]] })])],
      {
        action: 'sts:AssumeRole',
        resource: null,
        principal: user,
        context: new Map(),
      },
    );
    expect(exact).toEqual({ decision: 'Allow', principalMatch: 'exact' });
    expect(decide(trust([allow({ AWS: '999999999999' })]), user)).toBe('NotApplicable');
  });

  it('matches role sessions by role ARN or by their assumed-role ARN, not other roles', () => {
    expect(decide(trust([allow({ AWS: `arn:aws:iam::${PLATFORM}:role/ci` })]), roleSession)).toBe('Allow');
    expect(
      decide(trust([allow({ AWS: `arn:aws:sts::${PLATFORM}:assumed-role/ci/run-1` })]), roleSession),
    ).toBe('Allow');
    expect(decide(trust([allow({ AWS: `arn:aws:iam::${PLATFORM}:role/deploy` })]), roleSession)).toBe(
      'NotApplicable',
    );
    expect(decide(trust([allow({ AWS: `arn:aws:iam::${PLATFORM}:role/ci` })]), user)).toBe('NotApplicable');
  });

  it('"*" trusts everyone, {"AWS":"*"} only AWS principals; Federated matches the provider ARN only', () => {
    expect(decide(trust([{ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' }]), user)).toBe(
      'Allow',
    );
    expect(
      decide(
        trust([{ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRoleWithWebIdentity' }]),
        federated,
        {},
        'sts:AssumeRoleWithWebIdentity',
      ),
    ).toBe('Allow');
    expect(decide(trust([allow({ AWS: '*' })]), user)).toBe('Allow');
    expect(
      decide(
        trust([allow({ AWS: '*' }, undefined, 'sts:AssumeRoleWithWebIdentity')]),
        federated,
        {},
        'sts:AssumeRoleWithWebIdentity',
      ),
    ).toBe('NotApplicable');
    const fed = trust([
      allow({ Federated: federated.federated }, undefined, 'sts:AssumeRoleWithWebIdentity'),
    ]);
    expect(decide(fed, federated, {}, 'sts:AssumeRoleWithWebIdentity')).toBe('Allow');
    expect(
      decide(
        fed,
        { ...federated, federated: 'arn:aws:iam::222222222222:oidc-provider/other.example' },
        {},
        'sts:AssumeRoleWithWebIdentity',
      ),
    ).toBe('NotApplicable');
    expect(decide(fed, user, {}, 'sts:AssumeRoleWithWebIdentity')).toBe('NotApplicable');
    expect(decide(trust([allow({ Service: 'ec2.amazonaws.com' })]), user)).toBe('NotApplicable');
  });

  it('NotPrincipal excludes the named principals from a Deny', () => {
    const policy = trust([
      allow({ AWS: PLATFORM }),
      { Effect: 'Deny', NotPrincipal: { AWS: user.arns[0] }, Action: 'sts:AssumeRole' },
    ]);
    expect(decide(policy, user)).toBe('Allow');
    expect(decide(policy, roleSession)).toBe('Deny');
  });
});

describe('trust policy evaluation: actions and explicit deny', () => {
  it('matches actions case-insensitively with * and ? wildcards; NotAction inverts', () => {
    expect(decide(trust([allow({ AWS: PLATFORM }, undefined, 'STS:assume*')]), user)).toBe('Allow');
    expect(decide(trust([allow({ AWS: PLATFORM }, undefined, 'sts:?ssumeRole')]), user)).toBe('Allow');
    expect(decide(trust([allow({ AWS: PLATFORM }, undefined, 'sts:AssumeRoleWith*')]), user)).toBe(
      'NotApplicable',
    );
    const notAction = trust([{ Effect: 'Allow', Principal: { AWS: PLATFORM }, NotAction: 'sts:TagSession' }]);
    expect(decide(notAction, user, {}, 'sts:AssumeRole')).toBe('Allow');
    expect(decide(notAction, user, {}, 'sts:TagSession')).toBe('NotApplicable');
  });

  it('an explicit Deny wins over any Allow, in any order', () => {
    const deny = { Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sts:TagSession' };
    for (const policy of [
      trust([deny, allow({ AWS: PLATFORM }, undefined, 'sts:*')]),
      trust([allow({ AWS: PLATFORM }, undefined, 'sts:*'), deny]),
    ]) {
      expect(decide(policy, user, {}, 'sts:AssumeRole')).toBe('Allow');
      expect(decide(policy, user, {}, 'sts:TagSession')).toBe('Deny');
    }
  });

  it('refuses sts:TagSession when the trust policy only allows sts:AssumeRole', () => {
    const policy = trust([allow({ AWS: PLATFORM }, { StringLike: { 'sts:ExternalId': 'acme@*' } })]);
    const context = {
      'sts:ExternalId': 'acme@int@stack@read',
      'aws:TagKeys': ['run'],
      'aws:RequestTag/run': 'r1',
    };
    expect(decide(policy, user, context, 'sts:AssumeRole')).toBe('Allow');
    expect(decide(policy, user, context, 'sts:TagSession')).toBe('NotApplicable');
  });
});

describe('trust policy evaluation: condition operators', () => {
  const id = (v: string) => ({ 'sts:ExternalId': v });

  it('StringEquals / StringNotEquals (case-sensitive; several values OR, negated NOR)', () => {
    expect(
      cases({ StringEquals: { 'sts:ExternalId': ['a@1', 'a@2'] } }, [id('a@1'), id('a@2'), id('A@1'), {}]),
    ).toEqual([true, true, false, false]);
    expect(
      cases({ StringNotEquals: { 'sts:ExternalId': ['a@1', 'a@2'] } }, [id('a@1'), id('a@3'), {}]),
    ).toEqual([false, true, true]);
  });

  it('StringEqualsIgnoreCase / StringNotEqualsIgnoreCase', () => {
    expect(
      cases({ StringEqualsIgnoreCase: { 'sts:ExternalId': 'Acme@X' } }, [id('acme@x'), id('acme@y')]),
    ).toEqual([true, false]);
    expect(
      cases({ StringNotEqualsIgnoreCase: { 'sts:ExternalId': 'Acme@X' } }, [id('ACME@X'), id('acme@y')]),
    ).toEqual([false, true]);
  });

  it('StringLike / StringNotLike with * and ?', () => {
    const like = { StringLike: { 'sts:ExternalId': ['acme@*@read', 'ops@??'] } };
    expect(
      cases(like, [id('acme@i1@stack@read'), id('acme@i1@stack@write'), id('ops@42'), id('ops@420'), {}]),
    ).toEqual([true, false, true, false, false]);
    expect(
      cases({ StringNotLike: { 'sts:ExternalId': 'acme@*' } }, [id('acme@1'), id('evil@1'), {}]),
    ).toEqual([false, true, true]);
  });

  it('key names are case-insensitive; values of different keys AND together', () => {
    const both = { StringEquals: { 'STS:EXTERNALID': 'a@1', 'sts:RoleSessionName': 'run' } };
    expect(
      cases(both, [{ 'sts:ExternalId': 'a@1', 'sts:RoleSessionName': 'run' }, { 'sts:ExternalId': 'a@1' }]),
    ).toEqual([true, false]);
  });

  it('ArnEquals / ArnLike / ArnNotEquals / ArnNotLike, part by part', () => {
    const arn = (v: string) => ({ 'aws:PrincipalArn': v });
    expect(
      cases({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:user/run*' } }, [
        arn(user.arns[0]),
        arn('arn:aws:iam::1:role/runtrail'),
        arn('not-an-arn'),
      ]),
    ).toEqual([true, false, false]);
    expect(
      cases({ ArnEquals: { 'aws:PrincipalArn': user.arns[0] } }, [
        arn(user.arns[0]),
        arn(`${user.arns[0]}x`),
      ]),
    ).toEqual([true, false]);
    expect(
      cases({ ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/*' } }, [
        arn(user.arns[0]),
        arn('arn:aws:iam::1:role/x'),
        {},
      ]),
    ).toEqual([true, false, true]);
    expect(
      cases({ ArnNotEquals: { 'aws:PrincipalArn': user.arns[0] } }, [
        arn(user.arns[0]),
        arn('arn:aws:iam::1:role/x'),
      ]),
    ).toEqual([false, true]);
  });

  it('Null checks presence (true = absent)', () => {
    expect(cases({ Null: { 'sts:ExternalId': 'false' } }, [id('x@1'), {}])).toEqual([true, false]);
    expect(cases({ Null: { 'sts:ExternalId': 'true' } }, [id('x@1'), {}])).toEqual([false, true]);
  });

  it('Bool compares true/false case-insensitively', () => {
    const mfa = (v: string) => ({ 'aws:MultiFactorAuthPresent': v });
    expect(
      cases({ Bool: { 'aws:MultiFactorAuthPresent': 'true' } }, [mfa('true'), mfa('TRUE'), mfa('false'), {}]),
    ).toEqual([true, true, false, false]);
  });

  it('Numeric* and Date* operators', () => {
    const n = (v: string) => ({ 'sts:DurationSeconds': v });
    expect(
      cases({ NumericLessThanEquals: { 'sts:DurationSeconds': '3600' } }, [n('3600'), n('3601'), n('abc')]),
    ).toEqual([true, false, false]);
    expect(cases({ NumericGreaterThan: { 'sts:DurationSeconds': 900 } }, [n('901'), n('900')])).toEqual([
      true,
      false,
    ]);
    expect(cases({ NumericEquals: { 'sts:DurationSeconds': 900 } }, [n('900'), n('901')])).toEqual([
      true,
      false,
    ]);
    expect(cases({ NumericNotEquals: { 'sts:DurationSeconds': 900 } }, [n('900'), n('901')])).toEqual([
      false,
      true,
    ]);
    expect(cases({ NumericLessThan: { 'sts:DurationSeconds': 900 } }, [n('899'), n('900')])).toEqual([
      true,
      false,
    ]);
    expect(cases({ NumericGreaterThanEquals: { 'sts:DurationSeconds': 900 } }, [n('900'), n('899')])).toEqual(
      [true, false],
    );
    const t = (v: string) => ({ 'aws:CurrentTime': v });
    expect(
      cases({ DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }, [
        t('2029-12-31T23:59:59Z'),
        t('2030-01-01T00:00:00Z'),
      ]),
    ).toEqual([true, false]);
    expect(
      cases({ DateGreaterThanEquals: { 'aws:CurrentTime': '1893456000' } }, [
        t('2030-01-01T00:00:00Z'),
        t('2029-01-01T00:00:00Z'),
      ]),
    ).toEqual([true, false]);
  });

  it('IpAddress / NotIpAddress on CIDR ranges', () => {
    const ip = (v: string) => ({ 'aws:SourceIp': v });
    expect(
      cases({ IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '127.0.0.1'] } }, [
        ip('10.1.2.3'),
        ip('127.0.0.1'),
        ip('192.168.1.1'),
      ]),
    ).toEqual([true, true, false]);
    expect(
      cases({ NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, [ip('10.1.2.3'), ip('192.168.1.1')]),
    ).toEqual([false, true]);
  });

  it('...IfExists passes when the key is absent and checks it when present', () => {
    expect(
      cases({ StringEqualsIfExists: { 'sts:SourceIdentity': 'run-1' } }, [
        {},
        { 'sts:SourceIdentity': 'run-1' },
        { 'sts:SourceIdentity': 'run-2' },
      ]),
    ).toEqual([true, true, false]);
    expect(
      cases({ StringLikeIfExists: { 'aws:RequestTag/run': '01*' } }, [
        {},
        { 'aws:RequestTag/run': '01ABC' },
        { 'aws:RequestTag/run': 'x' },
      ]),
    ).toEqual([true, true, false]);
  });

  it('ForAnyValue: / ForAllValues: on multivalued aws:TagKeys', () => {
    const keys = (...k: string[]) => ({ 'aws:TagKeys': k });
    const allowed = {
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['run', 'caller', 'space', 'account', 'scope'] },
    };
    expect(cases(allowed, [keys('run', 'scope'), keys('run', 'cost-center'), {}])).toEqual([
      true,
      false,
      true,
    ]);
    const any = { 'ForAnyValue:StringLike': { 'aws:TagKeys': ['run*'] } };
    expect(cases(any, [keys('scope', 'run'), keys('scope'), {}])).toEqual([true, false, false]);
    const noneForbidden = { 'ForAllValues:StringNotLike': { 'aws:TagKeys': 'aws:*' } };
    expect(cases(noneForbidden, [keys('run'), keys('run', 'aws:x')])).toEqual([true, false]);
    const someNotScope = { 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': 'scope' } };
    expect(cases(someNotScope, [keys('scope'), keys('scope', 'run')])).toEqual([false, true]);
  });

  it('aws:RequestTag/<key> values', () => {
    const tag = { StringEquals: { 'aws:RequestTag/scope': 'read' } };
    expect(cases(tag, [{ 'aws:RequestTag/scope': 'read' }, { 'aws:RequestTag/scope': 'write' }, {}])).toEqual(
      [true, false, false],
    );
  });

  it('web identity: <provider>:sub with StringLike wildcards and :aud', () => {
    const policy = trust([
      allow(
        { Federated: federated.federated },
        {
          StringEquals: { [`${GITHUB}:aud`]: 'sts.amazonaws.com' },
          StringLike: { [`${GITHUB}:sub`]: 'space:prod:stack:*:run_type:TRACKED:scope:write' },
        },
        'sts:AssumeRoleWithWebIdentity',
      ),
    ]);
    const check = (sub: string, aud = 'sts.amazonaws.com') =>
      decide(
        policy,
        federated,
        { [`${GITHUB}:sub`]: sub, [`${GITHUB}:aud`]: aud },
        'sts:AssumeRoleWithWebIdentity',
      );
    expect(check('space:prod:stack:01ABC:run_type:TRACKED:scope:write')).toBe('Allow');
    expect(check('space:prod:stack:01ABC:run_type:PROPOSED:scope:write')).toBe('NotApplicable');
    expect(check('space:dev:stack:01ABC:run_type:TRACKED:scope:write')).toBe('NotApplicable');
    expect(check('space:prod:stack:01ABC:run_type:TRACKED:scope:write', 'other')).toBe('NotApplicable');
  });

  it("web identity: seed 003's conditions, one space or one stack by slug", () => {
    const only = (sub: string) =>
      trust([allow({ Federated: federated.federated }, { StringLike: { [`${GITHUB}:sub`]: sub } }, 'sts:AssumeRoleWithWebIdentity')]);
    const check = (policy: ReturnType<typeof only>, sub: string) =>
      decide(policy, federated, { [`${GITHUB}:sub`]: sub }, 'sts:AssumeRoleWithWebIdentity');
    const space = only('space:production-01HND497T9JKR76MR3KA2CDJHP:*');
    const stack = only('*:stack:oidc-is-awesome:*');
    const sub = (space_: string, slug: string) => `space:${space_}:stack:${slug}:run_type:TRACKED:scope:write`;
    expect(check(space, sub('production-01HND497T9JKR76MR3KA2CDJHP', 'infra'))).toBe('Allow');
    expect(check(space, sub('legacy-01HND497T9JKR76MR3KA2CDJHP', 'infra'))).toBe('NotApplicable');
    expect(check(stack, sub('production-01HND497T9JKR76MR3KA2CDJHP', 'oidc-is-awesome'))).toBe('Allow');
    expect(check(stack, sub('production-01HND497T9JKR76MR3KA2CDJHP', 'oidc-is-awesome-too'))).toBe('NotApplicable');
    expect(check(stack, 'space:root:module:oidc-is-awesome:run_type:TRACKED:scope:write')).toBe('NotApplicable');
  });
});

describe('compilePolicy', () => {
  it.each([
    ['not json', '{', /Syntax errors/],
    [
      'no principal in a trust policy',
      JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }] }),
      /Principal/,
    ],
    [
      'unknown operator',
      JSON.stringify({ Statement: [allow({ AWS: PLATFORM }, { StringSorta: { a: 'b' } })] }),
      /Invalid Condition type : StringSorta/,
    ],
    [
      'bad effect',
      JSON.stringify({ Statement: [{ Effect: 'Maybe', Principal: '*', Action: '*' }] }),
      /Effect/,
    ],
    [
      'Action and NotAction',
      JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', NotAction: 'x' }] }),
      /exactly one of Action or NotAction/,
    ],
    [
      'ForAllValues:Null',
      JSON.stringify({ Statement: [allow({ AWS: PLATFORM }, { 'ForAllValues:Null': { a: 'true' } })] }),
      /Invalid Condition type/,
    ],
  ])('refuses %s', (_name, text, message) => {
    expect(() => compilePolicy(text, 'trust')).toThrow(MalformedPolicyError);
    expect(() => compilePolicy(text, 'trust')).toThrow(message);
  });

  it('refuses a principal in an identity policy and a statement without resources', () => {
    expect(() =>
      compilePolicy(JSON.stringify({ Statement: [allow({ AWS: PLATFORM })] }), 'identity'),
    ).toThrow(/should not specify a principal/);
    expect(() =>
      compilePolicy(JSON.stringify({ Statement: [{ Effect: 'Allow', Action: '*' }] }), 'identity'),
    ).toThrow(/must contain resources/);
  });

  it('identity policies match resources with wildcards, case-sensitively', () => {
    const policy = compilePolicy(
      JSON.stringify({
        Statement: [
          { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::*:role/runtrail-*' },
        ],
      }),
      'identity',
    );
    const at = (resource: string) =>
      evaluatePolicies([policy], { action: 'sts:AssumeRole', resource, principal: null, context: new Map() })
        .decision;
    expect(at('arn:aws:iam::222222222222:role/runtrail-demo')).toBe('Allow');
    expect(at('arn:aws:iam::222222222222:role/Runtrail-demo')).toBe('NotApplicable');
  });
});
