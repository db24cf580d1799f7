import fc from 'fast-check';
import { errorOf } from '../testing/error-of.helper';
import {
  arbAccount,
  arbAnyString,
  arbCallerSlug,
  arbScope,
  arbSpaceId,
  arbUlid,
} from '../testing/identity.arbitraries';
import {
  sanitiseTagValue,
  SESSION_TAG_KEYS,
  sessionTags,
  TRANSITIVE_SESSION_TAG_KEYS,
  type SessionTagValues,
} from './session-tags.format';
import {
  MAX_SESSION_TAGS,
  SESSION_TAG_CHARACTERS,
  SESSION_TAG_KEY_MAX_LENGTH,
  SESSION_TAG_VALUE_MAX_LENGTH,
} from './sts-limits.constants';

const values: SessionTagValues = {
  run: '01DSJ63P40BAZY4VW8BXXG7M4K',
  caller: 'prod-network',
  space: 'root',
  account: 'acme',
  scope: 'write',
};

function expectAcceptedBySts(tags: { Key: string; Value: string }[]): void {
  expect(tags.length).toBeLessThanOrEqual(MAX_SESSION_TAGS);
  for (const { Key, Value } of tags) {
    expect(Key).toMatch(SESSION_TAG_CHARACTERS);
    expect(Key.length).toBeGreaterThanOrEqual(1);
    expect(Key.length).toBeLessThanOrEqual(SESSION_TAG_KEY_MAX_LENGTH);
    expect(Value).toMatch(SESSION_TAG_CHARACTERS);
    expect(Value.length).toBeLessThanOrEqual(SESSION_TAG_VALUE_MAX_LENGTH);
  }
  expect(new Set(tags.map((t) => t.Key.toLowerCase())).size).toBe(tags.length);
}

describe('sessionTags', () => {
  it('tags run, caller, space, account and scope, in that order', () => {
    expect(sessionTags(values)).toEqual([
      { Key: 'run', Value: '01DSJ63P40BAZY4VW8BXXG7M4K' },
      { Key: 'caller', Value: 'prod-network' },
      { Key: 'space', Value: 'root' },
      { Key: 'account', Value: 'acme' },
      { Key: 'scope', Value: 'write' },
    ]);
  });

  it('marks every runtrail tag transitive so chained sessions keep them', () => {
    expect([...TRANSITIVE_SESSION_TAG_KEYS].sort()).toEqual([...SESSION_TAG_KEYS].sort());
  });

  it('passes valid runtrail values through unchanged', () => {
    fc.assert(
      fc.property(
        arbUlid,
        arbCallerSlug,
        arbSpaceId,
        arbAccount,
        arbScope,
        (run, caller, space, account, scope) => {
          const tags = sessionTags({ run, caller, space, account, scope });
          expect(tags.map((t) => t.Value)).toEqual([run, caller, space, account, scope]);
          expectAcceptedBySts(tags);
        },
      ),
    );
  });

  it('makes any value acceptable to STS', () => {
    fc.assert(
      fc.property(
        arbAnyString,
        arbAnyString,
        arbAnyString,
        arbAnyString,
        arbScope,
        (run, caller, space, account, scope) => {
          expectAcceptedBySts(sessionTags({ run, caller, space, account, scope }));
        },
      ),
    );
  });

  it('appends extra tags after its own', () => {
    const tags = sessionTags(values, { team: 'platform', 'cost-center': '42' });
    expect(tags.slice(5)).toEqual([
      { Key: 'team', Value: 'platform' },
      { Key: 'cost-center', Value: '42' },
    ]);
  });

  it('accepts up to 50 tags in all', () => {
    const extra = Object.fromEntries(
      Array.from({ length: MAX_SESSION_TAGS - 5 }, (_, i) => [`k${i}`, `v${i}`]),
    );
    expect(sessionTags(values, extra)).toHaveLength(MAX_SESSION_TAGS);
  });

  it('refuses a 51st tag', () => {
    const extra = Object.fromEntries(
      Array.from({ length: MAX_SESSION_TAGS - 4 }, (_, i) => [`k${i}`, `v${i}`]),
    );
    const error = errorOf(() => sessionTags(values, extra));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain('at most 50');
  });

  it.each([
    ['an aws: prefix', 'AWS:PrincipalTag'],
    ['an empty key', ''],
    ['a key over 128 characters', 'k'.repeat(129)],
    ['a character STS refuses', 'team*'],
    ['a key that repeats a runtrail key ignoring case', 'Run'],
  ])('refuses an extra key with %s, naming it', (_label, key) => {
    const error = errorOf(() => sessionTags(values, { [key]: 'x' }));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues?.[0]?.path).toBe(`extra[${JSON.stringify(key)}]`);
  });
});

describe('sanitiseTagValue', () => {
  it.each([
    ['letters and numbers of any script', 'Zürich 東京 ٣', 'Zürich 東京 ٣'],
    ['the punctuation STS allows', '_.:/=+-@', '_.:/=+-@'],
    ['other punctuation', 'a*b,c;d', 'a-b-c-d'],
    ['an emoji, as one character', 'ok 😀', 'ok -'],
    ['a lone surrogate', 'a\uD800b', 'a-b'],
    ['a control character', 'a\nb', 'a-b'],
  ])('handles %s', (_label, input, output) => {
    expect(sanitiseTagValue(input)).toBe(output);
  });

  it('cuts to 256 characters', () => {
    expect(sanitiseTagValue('v'.repeat(300))).toBe('v'.repeat(256));
  });

  it('does not split a character made of two UTF-16 units when cutting', () => {
    // U+1D400 MATHEMATICAL BOLD CAPITAL A is a letter STS allows, written as a surrogate pair.
    expect(sanitiseTagValue(`${'a'.repeat(255)}\u{1D400}`)).toBe('a'.repeat(255));
    expect(sanitiseTagValue(`${'a'.repeat(254)}\u{1D400}b`)).toBe(`${'a'.repeat(254)}\u{1D400}`);
  });
});
