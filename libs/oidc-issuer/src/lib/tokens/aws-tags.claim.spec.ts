import { RuntrailError } from '@runtrail/contracts';
import { AWS_TAGS_CLAIM_MAX_CHARS, awsTagsClaim, RUNTRAIL_TAG_DROP_ORDER } from './aws-tags.claim';

const own = { run: '01DSJ63P40BAZY4VW8BXXG7M4K', caller: 'stack/network', space: 'root', account: 'acme', scope: 'write' };

describe('awsTagsClaim', () => {
  it('is absent without tags', () => {
    expect(awsTagsClaim(undefined)).toEqual({ claim: null, dropped: [] });
    expect(awsTagsClaim({})).toEqual({ claim: null, dropped: [] });
  });

  it("puts each value in a one-item list and makes runtrail's own tags transitive by default", () => {
    expect(awsTagsClaim({ ...own, team: 'platform' })).toEqual({
      claim: {
        principal_tags: {
          run: ['01DSJ63P40BAZY4VW8BXXG7M4K'],
          caller: ['stack/network'],
          space: ['root'],
          account: ['acme'],
          scope: ['write'],
          team: ['platform'],
        },
        transitive_tag_keys: ['run', 'caller', 'space', 'account', 'scope'],
      },
      dropped: [],
    });
  });

  it('takes explicit transitive keys and sanitises values STS would refuse', () => {
    const { claim } = awsTagsClaim({ team: 'a<b>c' }, ['team']);
    expect(claim).toEqual({ principal_tags: { team: ['a-b-c'] }, transitive_tag_keys: ['team'] });
    expect(awsTagsClaim({ team: 'x' }, []).claim).toEqual({ principal_tags: { team: ['x'] } });
  });

  it.each([
    [{ 'aws:foo': 'x' }, undefined, 'may not start with aws:'],
    [{ 'a#b': 'x' }, undefined, 'only letters'],
    [{ ['k'.repeat(129)]: 'x' }, undefined, '1-128 characters'],
    [{ Team: 'x', team: 'y' }, undefined, 'unique ignoring case'],
    [{ team: 'x' }, ['nope'], 'must be the key of one of sessionTags'],
    [{}, ['run'], 'sessionTags is empty'],
  ])('refuses %p / transitive %p', (tags, transitive, rule) => {
    expect(() => awsTagsClaim(tags, transitive)).toThrow(RuntrailError);
    expect(() => awsTagsClaim(tags, transitive)).toThrow(rule);
  });

  it('drops custom tags (descending key order) before its own, and only as many as needed to fit', () => {
    const custom = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`c${i}`, 'v'.repeat(256)]));
    const result = awsTagsClaim({ ...own, ...custom });
    const size = (claim: unknown) => JSON.stringify(claim).length;
    expect(result.dropped.length).toBeGreaterThan(0);
    expect(result.dropped).toEqual(['c9', 'c8', 'c7', 'c6', 'c5', 'c4', 'c3', 'c2', 'c1', 'c0'].slice(0, result.dropped.length));
    expect(size(result.claim)).toBeLessThanOrEqual(AWS_TAGS_CLAIM_MAX_CHARS);
    // Minimal: putting back the last tag dropped would not fit.
    const last = result.dropped.at(-1)!;
    expect(size({ ...result.claim, principal_tags: { ...result.claim!.principal_tags, [last]: ['v'.repeat(256)] } })).toBeGreaterThan(AWS_TAGS_CLAIM_MAX_CHARS);
    expect(Object.keys(result.claim!.principal_tags).slice(0, 5)).toEqual(['run', 'caller', 'space', 'account', 'scope']);
  });

  it("drops runtrail's own tags last, `run` the very last, and their transitive keys with them", () => {
    const tags = Object.fromEntries(RUNTRAIL_TAG_DROP_ORDER.map((k) => [k, 'v'.repeat(100)]));
    const result = awsTagsClaim({ ...tags, extra: 'x' }, undefined, 300);
    expect(result.dropped).toEqual(['extra', 'space', 'caller', 'account']);
    expect(result.claim).toEqual({ principal_tags: { scope: ['v'.repeat(100)], run: ['v'.repeat(100)] }, transitive_tag_keys: ['run', 'scope'] });
    expect(awsTagsClaim(tags, undefined, 10)).toEqual({ claim: null, dropped: ['space', 'caller', 'account', 'scope', 'run'] });
  });

  it('keeps at most 50 tags', () => {
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`t${String(i).padStart(2, '0')}`, '']));
    const result = awsTagsClaim(many);
    expect(Object.keys(result.claim!.principal_tags)).toHaveLength(50);
    expect(result.dropped[0]).toBe('t59');
  });
});
