import { z } from 'zod';

/**
 * Zod schemas turning one environment string into a typed value. Each has a single message that
 * states the whole rule, so an error line tells the operator what to write instead.
 */

/** `true`/`false`/`1`/`0` (any case) as a boolean. */
export function envBoolean() {
  return z.stringbool({ truthy: ['true', '1'], falsy: ['false', '0'], error: 'must be true, false, 1 or 0' });
}

/** A whole number in `[min, max]`. */
export function envInt({ min, max }: { min: number; max: number }) {
  const rule = `must be a whole number from ${min} to ${max}`;
  return z
    .string()
    .trim()
    .refine((s) => /^[+-]?\d+$/.test(s) && Number(s) >= min && Number(s) <= max, rule)
    .transform(Number);
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };
const DURATION = /^(\d+)([smhd]?)$/;

/**
 * A duration as a number of seconds: `900`, `900s`, `15m`, `12h` or `1d`, within `[min, max]` seconds.
 */
export function envDurationSeconds({ min, max }: { min: number; max: number }) {
  const rule = `must be a duration such as 900, 900s, 15m, 12h or 1d, from ${min}s to ${max}s`;
  return z
    .string()
    .trim()
    .transform((s, ctx) => {
      const seconds = durationSeconds(s);
      if (seconds === null || seconds < min || seconds > max) {
        ctx.issues.push({ code: 'custom', message: rule, input: s });
        return z.NEVER;
      }
      return seconds;
    });
}

/** A URL whose scheme is one of `protocols` (written without `:`, e.g. `https`). */
export function envUrl({ protocols }: { protocols: readonly string[] }) {
  const rule = `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`;
  return z.string().refine((s) => isUrl(s, protocols), rule);
}

/** True when `value` parses as a URL with a host and one of `protocols`. */
export function isUrl(value: string, protocols: readonly string[]): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return protocols.includes(url.protocol.slice(0, -1)) && url.host !== '';
}

function durationSeconds(value: string): number | null {
  const match = DURATION.exec(value);
  const unit = UNIT_SECONDS[match?.[2] ?? ''];
  if (!match?.[1] || unit === undefined) return null;
  const seconds = Number(match[1]) * unit;
  return Number.isSafeInteger(seconds) ? seconds : null;
}
