import fc from 'fast-check';
import { errorOf } from '../testing/error-of.helper';
import { NONEXISTENT_CALLER_SLUG } from '@runtrail/contracts';
import {
  arbCallerSlug,
  arbCallerType,
  arbRunType,
  arbScope,
  arbSpaceId,
  arbUlid,
} from '../testing/identity.arbitraries';
import {
  DEFAULT_SUBJECT_TEMPLATE,
  oidcSubject,
  renderSubjectTemplate,
  SUBJECT_PLACEHOLDERS,
  subjectTemplatePlaceholders,
  type SubjectPlaceholder,
  type SubjectVars,
} from './oidc-subject.format';

const vars: SubjectVars = {
  spaceId: 'root',
  callerType: 'stack',
  callerSlug: 'network',
  callerId: '01DSJ63P40BAZY4VW8BXXG7M4M',
  runType: 'TRACKED',
  runId: '01DSJ63P40BAZY4VW8BXXG7M4K',
  scope: 'read',
};

const arbVars: fc.Arbitrary<Required<SubjectVars>> = fc.record({
  spaceId: arbSpaceId,
  callerType: arbCallerType,
  callerSlug: arbCallerSlug,
  callerId: arbUlid,
  runType: arbRunType,
  runId: arbUlid,
  scope: arbScope,
});

const DEFAULT_SHAPE = /^space:([^:]+):(stack|module):([^:]+):run_type:([A-Z]+):scope:(read|write)$/;

describe('oidcSubject', () => {
  it('defaults to space:<spaceId>:<callerType>:<callerSlug>:run_type:<runType>:scope:<scope>', () => {
    expect(oidcSubject(vars)).toBe('space:root:stack:network:run_type:TRACKED:scope:read');
    expect(oidcSubject({ ...vars, callerType: 'module', scope: 'write', runType: 'TESTING' })).toBe(
      'space:root:module:network:run_type:TESTING:scope:write',
    );
  });

  it("renders seed 003's format with its Spacelift-shaped space id", () => {
    expect(
      oidcSubject({
        ...vars,
        spaceId: 'production-01HND497T9JKR76MR3KA2CDJHP',
        callerSlug: 'infra',
        scope: 'write',
      }),
    ).toBe('space:production-01HND497T9JKR76MR3KA2CDJHP:stack:infra:run_type:TRACKED:scope:write');
  });

  it("accepts the callerId in the slug's place (the issuer's fallback for requesters that send no slug)", () => {
    expect(oidcSubject({ ...vars, callerSlug: vars.callerId })).toBe(
      'space:root:stack:01DSJ63P40BAZY4VW8BXXG7M4M:run_type:TRACKED:scope:read',
    );
  });

  it('accepts the never-registered caller slug, whose sub parses like a real one', () => {
    const sub = oidcSubject({ ...vars, callerSlug: NONEXISTENT_CALLER_SLUG });
    expect(DEFAULT_SHAPE.exec(sub)?.[3]).toBe(NONEXISTENT_CALLER_SLUG);
  });

  it('does not need a run id for the default template', () => {
    const { runId: _runId, ...withoutRun } = vars;
    expect(oidcSubject(withoutRun)).toBe(oidcSubject(vars));
  });

  it('uses an account template when given one', () => {
    expect(oidcSubject(vars, 'runtrail:{callerType}:{callerId}:{runId}')).toBe(
      'runtrail:stack:01DSJ63P40BAZY4VW8BXXG7M4M:01DSJ63P40BAZY4VW8BXXG7M4K',
    );
    expect(oidcSubject(vars, '{callerSlug}/{callerId}')).toBe('network/01DSJ63P40BAZY4VW8BXXG7M4M');
  });

  it('reads back to the values it was made from, so different run contexts never share a subject', () => {
    fc.assert(
      fc.property(arbVars, (v) => {
        const match = DEFAULT_SHAPE.exec(oidcSubject(v));
        expect(match?.slice(1)).toEqual([v.spaceId, v.callerType, v.callerSlug, v.runType, v.scope]);
      }),
    );
  });

  it.each([
    ['callerId', { callerId: 'not-a-ulid' }],
    ['callerSlug', { callerSlug: 'a:b' }],
    ['callerSlug', { callerSlug: '*' }],
    ['spaceId', { spaceId: 'Root Space' }],
    ['runType', { runType: 'NIGHTLY' }],
  ])('refuses a bad %s, naming it', (field, patch) => {
    const error = errorOf(() => oidcSubject({ ...vars, ...patch } as SubjectVars));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues?.map((i) => i.path)).toEqual([field]);
  });
});

describe('renderSubjectTemplate', () => {
  it('replaces every placeholder, repeated ones included', () => {
    expect(renderSubjectTemplate('{scope}/{spaceId}/{scope}', vars)).toBe('read/root/read');
  });

  it('asks for runId when the template uses it', () => {
    const { runId: _runId, ...withoutRun } = vars;
    const error = errorOf(() => renderSubjectTemplate('run:{runId}', withoutRun));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues?.[0]?.path).toBe('runId');
  });

  it('renders literal text and values in template order', () => {
    const arbLiteral = fc.string({ maxLength: 8 }).filter((s) => !/[{}]/.test(s));
    const arbPieces = fc.array(fc.tuple(arbLiteral, fc.constantFrom(...SUBJECT_PLACEHOLDERS)), {
      minLength: 1,
      maxLength: 6,
    });
    fc.assert(
      fc.property(arbPieces, arbLiteral, arbVars, (pieces, tail, v) => {
        const template = pieces.map(([text, name]) => `${text}{${name}}`).join('') + tail;
        const expected = pieces.map(([text, name]) => `${text}${v[name]}`).join('') + tail;
        expect(renderSubjectTemplate(template, v)).toBe(expected);
      }),
    );
  });
});

describe('subjectTemplatePlaceholders', () => {
  it('lists the placeholders of the default template', () => {
    expect(subjectTemplatePlaceholders(DEFAULT_SUBJECT_TEMPLATE)).toEqual<SubjectPlaceholder[]>([
      'spaceId',
      'callerType',
      'callerSlug',
      'runType',
      'scope',
    ]);
  });

  it('accepts a template with no placeholder', () => {
    expect(subjectTemplatePlaceholders('fixed')).toEqual([]);
  });

  it('names an unknown placeholder and the ones it could have used', () => {
    const error = errorOf(() => subjectTemplatePlaceholders('space:{spaceId}:{account}'));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues).toEqual([
      { path: 'template', rule: expect.stringContaining('unknown placeholder {account}') },
    ]);
    expect(error.message).toContain('{runId}');
  });

  it.each([
    ['an unclosed brace', 'space:{spaceId', 'unmatched "{" at position 6'],
    ['a lone closing brace', 'space}', 'unmatched "}" at position 5'],
    ['an empty placeholder', 'a{}b', 'unknown placeholder {}'],
    ['a placeholder in another case', '{SpaceId}', 'unknown placeholder {SpaceId}'],
    ['an empty template', '', 'must not be empty'],
    ['an over-long template', 'x'.repeat(513), 'at most 512'],
  ])('refuses %s', (_label, template, rule) => {
    const error = errorOf(() => subjectTemplatePlaceholders(template));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain(rule);
  });
});
