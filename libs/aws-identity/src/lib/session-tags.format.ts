import type { FieldIssue, Scope } from '@runtrail/contracts';
import { invalidFields } from './invalid-field.error';
import {
  MAX_SESSION_TAGS,
  SESSION_TAG_CHARACTERS,
  SESSION_TAG_KEY_MAX_LENGTH,
  SESSION_TAG_VALUE_MAX_LENGTH,
} from './sts-limits.constants';

/** The tags runtrail puts on every session when an integration opts in to session tagging. */
export const SESSION_TAG_KEYS = ['run', 'caller', 'space', 'account', 'scope'] as const;
export type SessionTagKey = (typeof SESSION_TAG_KEYS)[number];

/**
 * Tag keys passed as `TransitiveTagKeys`: all of them, so that a session the run chains into
 * still carries the run's identity in CloudTrail, as `SourceIdentity` does.
 */
export const TRANSITIVE_SESSION_TAG_KEYS: readonly SessionTagKey[] = SESSION_TAG_KEYS;

/** A tag in the shape the AWS SDK's `Tags` parameter takes. */
export interface SessionTag {
  Key: string;
  Value: string;
}

export type SessionTagValues = Record<Exclude<SessionTagKey, 'scope'>, string> & { scope: Scope };

const OUTSIDE_TAG_ALPHABET = /[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu;
const RESERVED_KEY_PREFIX = 'aws:';

/**
 * Session tags for a run, in {@link SESSION_TAG_KEYS} order, followed by `extra` tags (e.g. an
 * integration's own). Values are made acceptable to STS rather than refused: a character outside
 * STS's tag alphabet becomes `-` and a value is cut to 256 characters. Extra keys are the admin's
 * choice and so are checked, not rewritten.
 *
 * @throws RuntrailError `VALIDATION_FAILED` for an extra key that is empty, too long, has a
 *   character STS refuses, starts with `aws:`, repeats a key (STS compares keys ignoring case), or
 *   makes more than 50 tags.
 */
export function sessionTags(
  values: SessionTagValues,
  extra: Readonly<Record<string, string>> = {},
): SessionTag[] {
  const tags: SessionTag[] = SESSION_TAG_KEYS.map((key) => ({
    Key: key,
    Value: sanitiseTagValue(values[key]),
  }));
  const issues = checkExtraKeys(Object.keys(extra));
  if (issues.length) throw invalidFields('session tags', issues);
  for (const [key, value] of Object.entries(extra)) tags.push({ Key: key, Value: sanitiseTagValue(value) });
  return tags;
}

/** `value` with characters outside STS's tag alphabet replaced by `-`, cut to 256 characters. */
export function sanitiseTagValue(value: string): string {
  return truncate(value.replace(OUTSIDE_TAG_ALPHABET, '-'), SESSION_TAG_VALUE_MAX_LENGTH);
}

function checkExtraKeys(keys: string[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const seen = new Set<string>(SESSION_TAG_KEYS);
  for (const key of keys) {
    const path = `extra[${JSON.stringify(key)}]`;
    if (key.length < 1 || key.length > SESSION_TAG_KEY_MAX_LENGTH) {
      issues.push({ path, rule: `a tag key has 1-${SESSION_TAG_KEY_MAX_LENGTH} characters` });
    } else if (!SESSION_TAG_CHARACTERS.test(key)) {
      issues.push({ path, rule: 'a tag key has only letters, numbers, spaces and _ . : / = + - @' });
    } else if (key.toLowerCase().startsWith(RESERVED_KEY_PREFIX)) {
      issues.push({ path, rule: `a tag key may not start with ${RESERVED_KEY_PREFIX}` });
    }
    if (seen.has(key.toLowerCase()))
      issues.push({
        path,
        rule: `tag keys must be unique ignoring case and differ from ${SESSION_TAG_KEYS.join(', ')}`,
      });
    seen.add(key.toLowerCase());
  }
  const total = SESSION_TAG_KEYS.length + keys.length;
  if (total > MAX_SESSION_TAGS)
    issues.push({ path: 'extra', rule: `at most ${MAX_SESSION_TAGS} session tags in all, got ${total}` });
  return issues;
}

/**
 * Cuts to `max` UTF-16 code units without splitting a surrogate pair. Counting code units is the
 * stricter of the two ways AWS might count, so the result fits either way.
 */
function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  let out = '';
  for (const ch of value) {
    if (out.length + ch.length > max) break;
    out += ch;
  }
  return out;
}
