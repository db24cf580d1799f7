import fc from 'fast-check';
import { envBoolean, envDurationSeconds, envInt, envUrl } from './env-value.fragments';

describe('envBoolean', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['false', false],
    ['False', false],
    ['0', false],
  ])('reads %p as %p', (input, output) => {
    expect(envBoolean().parse(input)).toBe(output);
  });

  it.each(['yes', 'on', '', '2', 'truthy'])('refuses %p with the whole rule', (input) => {
    const result = envBoolean().safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('must be true, false, 1 or 0');
  });
});

describe('envInt', () => {
  const percent = envInt({ min: 0, max: 100 });

  it.each([
    ['0', 0],
    ['100', 100],
    [' 42 ', 42],
    ['+7', 7],
  ])('reads %p as %p', (input, output) => {
    expect(percent.parse(input)).toBe(output);
  });

  it.each(['-1', '101', '4.5', '1e2', '0x10', 'ten', ''])('refuses %p', (input) => {
    const result = percent.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('must be a whole number from 0 to 100');
  });

  it('accepts exactly the integers of its range', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), (n) => {
        expect(percent.safeParse(String(n)).success).toBe(n >= 0 && n <= 100);
      }),
    );
  });
});

describe('envDurationSeconds', () => {
  const sessionDuration = envDurationSeconds({ min: 900, max: 43200 });

  it.each([
    ['900', 900],
    ['900s', 900],
    ['15m', 900],
    ['12h', 43200],
    [' 1h ', 3600],
  ])('reads %p as %p seconds', (input, output) => {
    expect(sessionDuration.parse(input)).toBe(output);
  });

  it.each(['899', '1d', '14m', '1h30m', '-900', '15 m', 'PT15M', '15M', ''])('refuses %p', (input) => {
    const result = sessionDuration.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(
      'must be a duration such as 900, 900s, 15m, 12h or 1d, from 900s to 43200s',
    );
  });

  it('reads days', () => {
    expect(envDurationSeconds({ min: 0, max: 864000 }).parse('2d')).toBe(172800);
  });

  it('refuses a number too large to count exactly', () => {
    expect(
      envDurationSeconds({ min: 0, max: Number.MAX_VALUE }).safeParse('99999999999999999999d').success,
    ).toBe(false);
  });
});

describe('envUrl', () => {
  const https = envUrl({ protocols: ['https'] });

  it('accepts a URL with an allowed scheme and a host', () => {
    expect(https.parse('https://collector.example.com:4318')).toBe('https://collector.example.com:4318');
  });

  it.each(['http://collector.example.com', 'collector.example.com', 'https://', 'file:///etc/passwd'])(
    'refuses %p',
    (input) => {
      const result = https.safeParse(input);
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toBe('must be a URL starting with https://');
    },
  );
});
