import { RuntrailError, type FieldIssue } from '@runtrail/contracts';
import {
  MAX_SESSION_TAGS,
  SESSION_TAG_CHARACTERS,
  SESSION_TAG_KEY_MAX_LENGTH,
  SESSION_TAG_KEYS,
  TRANSITIVE_SESSION_TAG_KEYS,
  sanitiseTagValue,
} from '@runtrail/aws-identity';

/** The claim STS reads session tags from in `AssumeRoleWithWebIdentity`. */
export const AWS_TAGS_CLAIM = 'https://aws.amazon.com/tags';

/**
 * Budget for the serialised tags claim, in UTF-16 code units. AWS packs session tags into a binary
 * format whose limit it does not publish (it reports `PackedPolicyTooLarge` as a percentage); the
 * budget is that of the documented 2,048-character session policy plaintext, which keeps a full
 * set of runtrail's tags plus a few custom ones and stays well under the limit.
 */
export const AWS_TAGS_CLAIM_MAX_CHARS = 2048;

/**
 * The order runtrail's own tags are dropped in when the claim is over budget, after every custom
 * tag. `run` goes last: the run id also travels in `source_identity`, but it is what audit and
 * `aws:PrincipalTag/run` conditions key on.
 */
export const RUNTRAIL_TAG_DROP_ORDER = ['space', 'caller', 'account', 'scope', 'run'] as const;

/** The `https://aws.amazon.com/tags` claim. STS takes each principal tag's value as a one-item list. */
export interface AwsTagsClaim {
  principal_tags: Record<string, [string]>;
  transitive_tag_keys?: string[];
}

export interface TagsClaimResult {
  /** The claim, or null when no tags were given (or every tag had to be dropped). */
  claim: AwsTagsClaim | null;
  /** Keys of the tags left out to fit, in the order they were dropped. */
  dropped: string[];
}

/**
 * Builds the tags claim. Values are made acceptable to STS (see `sanitiseTagValue`); keys are checked.
 * Transitive keys default to runtrail's transitive keys that are present. When the claim has more
 * than 50 tags or exceeds {@link AWS_TAGS_CLAIM_MAX_CHARS}, tags are dropped one at a time in a fixed
 * order until it fits: custom tags first, by key in descending code-point order, then runtrail's
 * own in {@link RUNTRAIL_TAG_DROP_ORDER}. A dropped tag's key leaves `transitive_tag_keys` too.
 * (runtrail's five tags alone always fit the default budget; `maxChars` exists for tests.)
 *
 * @throws RuntrailError `VALIDATION_FAILED` naming each bad tag key or transitive key.
 */
export function awsTagsClaim(
  tags: Readonly<Record<string, string>> | undefined,
  transitiveKeys?: readonly string[],
  maxChars: number = AWS_TAGS_CLAIM_MAX_CHARS,
): TagsClaimResult {
  const keys = Object.keys(tags ?? {});
  if (!tags || keys.length === 0) {
    if (transitiveKeys?.length) throw invalid([{ path: 'transitiveTagKeys', rule: 'names tags, but sessionTags is empty' }]);
    return { claim: null, dropped: [] };
  }
  const issues = checkKeys(keys);
  if (transitiveKeys?.length) issues.push(...checkTransitive(keys, transitiveKeys));
  if (issues.length) throw invalid(issues);

  const kept = new Map(keys.map((key) => [key, sanitiseTagValue(tags[key] ?? '')]));
  const transitive = transitiveKeys ? [...transitiveKeys] : TRANSITIVE_SESSION_TAG_KEYS.filter((k) => kept.has(k));
  const dropped: string[] = [];
  let order: string[] | undefined;
  let claim = render(kept, transitive);
  while (claim && (kept.size > MAX_SESSION_TAGS || JSON.stringify(claim).length > maxChars)) {
    // Worked out only for a claim over budget (rare): every issuance builds this claim.
    order ??= dropOrder(keys);
    const victim = order.shift();
    if (victim === undefined) break;
    kept.delete(victim);
    dropped.push(victim);
    claim = render(kept, transitive);
  }
  return { claim, dropped };
}

function render(kept: ReadonlyMap<string, string>, transitive: readonly string[]): AwsTagsClaim | null {
  if (kept.size === 0) return null;
  const principal_tags: Record<string, [string]> = {};
  for (const [key, value] of kept) principal_tags[key] = [value];
  const transitive_tag_keys = transitive.filter((k) => kept.has(k));
  return transitive_tag_keys.length ? { principal_tags, transitive_tag_keys } : { principal_tags };
}

function dropOrder(keys: readonly string[]): string[] {
  const own: ReadonlySet<string> = new Set(SESSION_TAG_KEYS);
  const custom = keys.filter((k) => !own.has(k)).sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  return [...custom, ...RUNTRAIL_TAG_DROP_ORDER.filter((k) => keys.includes(k))];
}

function checkKeys(keys: readonly string[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  for (const key of keys) {
    // The path is built only for a bad key: every issuance checks its keys.
    const path = () => `sessionTags[${JSON.stringify(key)}]`;
    const lower = key.toLowerCase();
    if (key.length < 1 || key.length > SESSION_TAG_KEY_MAX_LENGTH) issues.push({ path: path(), rule: `a tag key has 1-${SESSION_TAG_KEY_MAX_LENGTH} characters` });
    else if (!SESSION_TAG_CHARACTERS.test(key)) issues.push({ path: path(), rule: 'a tag key has only letters, numbers, spaces and _ . : / = + - @' });
    else if (lower.startsWith('aws:')) issues.push({ path: path(), rule: 'a tag key may not start with aws:' });
    if (seen.has(lower)) issues.push({ path: path(), rule: 'tag keys must be unique ignoring case (STS compares them so)' });
    seen.add(lower);
  }
  return issues;
}

function checkTransitive(keys: readonly string[], transitiveKeys: readonly string[] | undefined): FieldIssue[] {
  const present = new Set(keys);
  return (transitiveKeys ?? [])
    .filter((k) => !present.has(k))
    .map((k) => ({ path: `transitiveTagKeys[${JSON.stringify(k)}]`, rule: 'must be the key of one of sessionTags' }));
}

function invalid(issues: FieldIssue[]): RuntrailError {
  return new RuntrailError('VALIDATION_FAILED', `invalid session tags: ${issues.map((i) => `${i.path}: ${i.rule}`).join('; ')}`, issues);
}
