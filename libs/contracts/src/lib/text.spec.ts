import { NO_CONTROL_CHARACTERS, labels, text } from './primitives';
import { parseOrThrow } from './validate';
import { RuntrailError } from './errors';
import { z } from 'zod';

describe('text(): the one rule for free-text fields', () => {
  it.each(['\u0000', 'a\u0000b', '\u0001', '\t', '\n', '\r', '\u001b[31m', '\u007f', '\u0085', '\u009f'])(
    'refuses %j naming the field and the rule',
    (value) => {
      const schema = z.strictObject({ name: text().max(100) });
      try {
        parseOrThrow(schema, { name: value }, 'space');
        throw new Error('accepted');
      } catch (error) {
        expect(error).toBeInstanceOf(RuntrailError);
        expect((error as RuntrailError).issues).toEqual([{ path: 'name', rule: NO_CONTROL_CHARACTERS }]);
      }
    },
  );

  it.each(['plain', 'with spaces', 'ünïcödé', '💩', '\u00a0', '\u202e', ''])('takes %j', (value) => {
    expect(text().parse(value)).toBe(value);
  });

  it('keeps the checks it is extended with', () => {
    expect(text().trim().min(1).safeParse('   ').success).toBe(false);
    expect(text().max(3).safeParse('abcd').success).toBe(false);
  });

  it('is the rule of every label', () => {
    expect(labels.safeParse(['ok', 'a\u0000']).error?.issues[0]).toMatchObject({
      path: [1],
      message: NO_CONTROL_CHARACTERS,
    });
  });
});
