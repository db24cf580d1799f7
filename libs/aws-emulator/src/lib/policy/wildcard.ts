// IAM wildcards: `*` any run of characters, `?` one character. Compiled patterns are cached since
// the same policy strings are matched on every request.
const cache = new Map<string, (value: string) => boolean>();
const MAX_CACHE = 10_000;

/** A matcher for an IAM wildcard pattern, case-insensitive when `ignoreCase`. */
export function wildcardMatcher(pattern: string, ignoreCase: boolean): (value: string) => boolean {
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let matcher = cache.get(key);
  if (matcher) return matcher;
  if (!/[*?]/.test(pattern)) {
    const literal = ignoreCase ? pattern.toLowerCase() : pattern;
    matcher = ignoreCase ? (v) => v.toLowerCase() === literal : (v) => v === literal;
  } else if (pattern === '*') {
    matcher = () => true;
  } else {
    const source = pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
      .join('');
    const regex = new RegExp(`^${source}$`, ignoreCase ? 'is' : 's');
    matcher = (v) => regex.test(v);
  }
  if (cache.size >= MAX_CACHE) cache.clear();
  cache.set(key, matcher);
  return matcher;
}

/** ARN matching as `ArnLike`/`ArnEquals` do it: each of the six colon-separated parts on its own. */
export function arnMatches(pattern: string, value: string): boolean {
  const p = splitArn(pattern);
  const v = splitArn(value);
  if (!p || !v) return false;
  for (let i = 0; i < 6; i++) if (!wildcardMatcher(p[i], false)(v[i])) return false;
  return true;
}

function splitArn(arn: string): string[] | null {
  const parts = arn.split(':');
  if (parts.length < 6) return null;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}
