import { excerptOf, redactExcerpt } from './bad-record';

describe('bad record excerpts', () => {
  it('masks a secret value that the size cap cuts open', () => {
    const text = `{"eventName":"x","credentials":{"sessionToken":"${'s'.repeat(20_000)}"}}`;
    const excerpt = redactExcerpt(text);
    expect(excerpt.length).toBeLessThanOrEqual(8192);
    expect(excerpt).toBe('{"eventName":"x","credentials":{"sessionToken":"***');
  });

  it('masks closed secret members and keeps the rest', () => {
    expect(redactExcerpt('{"secretAccessKey":"abc\\"def","a":1}')).toBe('{"secretAccessKey":"***","a":1}');
  });

  it('shows no excerpt of a value too deep to serialise instead of overflowing', () => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect(excerptOf(deep)).toBe('(not shown: nested too deep to serialise)');
  });
});
