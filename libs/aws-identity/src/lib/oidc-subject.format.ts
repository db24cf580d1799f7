import { z } from 'zod';
import {
  callerType,
  parseOrThrow,
  runType,
  scope,
  tokenCallerSlug,
  tokenSpaceId,
  ulid,
  type CallerType,
  type RunType,
  type Scope,
} from '@runtrail/contracts';
import { invalidField, invalidFields } from './invalid-field.error';

/** Placeholders a subject template may use, each written `{name}`. */
export const SUBJECT_PLACEHOLDERS = [
  'spaceId',
  'callerType',
  'callerSlug',
  'callerId',
  'runType',
  'runId',
  'scope',
] as const;
export type SubjectPlaceholder = (typeof SUBJECT_PLACEHOLDERS)[number];

/** The `sub` claim unless an account overrides it: seed 003's, which names the caller by its slug. */
export const DEFAULT_SUBJECT_TEMPLATE =
  'space:{spaceId}:{callerType}:{callerSlug}:run_type:{runType}:scope:{scope}';

/** A bound on templates so a stored override cannot grow a token without limit. */
export const SUBJECT_TEMPLATE_MAX_LENGTH = 512;

/** Values a subject is rendered from; `runId` is needed only by templates that use `{runId}`. */
export interface SubjectVars {
  spaceId: string;
  callerType: CallerType;
  /**
   * The caller's slug; a ULID is accepted too, for the issuer's fallback to the callerId when a
   * requester predating `callerSlug` sends none.
   */
  callerSlug: string;
  callerId: string;
  runType: RunType;
  runId?: string;
  scope: Scope;
}

const subjectVars = z.object({
  spaceId: tokenSpaceId,
  callerType,
  callerSlug: z.union([tokenCallerSlug, ulid]),
  callerId: ulid,
  runType,
  runId: ulid.optional(),
  scope,
});

const KNOWN: ReadonlySet<string> = new Set(SUBJECT_PLACEHOLDERS);
// A `{name}` token, or a brace that belongs to none.
const TOKEN = /\{([^{}]*)\}|[{}]/g;

/**
 * Checks a subject template and returns the placeholders it uses, in order of appearance.
 *
 * @throws RuntrailError `VALIDATION_FAILED` naming an unknown placeholder, a stray brace, or an
 *   empty or over-long template.
 */
export function subjectTemplatePlaceholders(template: string): SubjectPlaceholder[] {
  const fail = (rule: string): never => {
    throw invalidFields('subject template', [{ path: 'template', rule }]);
  };
  if (template.length === 0) fail('must not be empty');
  if (template.length > SUBJECT_TEMPLATE_MAX_LENGTH)
    fail(`must be at most ${SUBJECT_TEMPLATE_MAX_LENGTH} characters`);
  const used: SubjectPlaceholder[] = [];
  for (const match of template.matchAll(TOKEN)) {
    const name = match[1];
    if (name === undefined) fail(`unmatched "${match[0]}" at position ${match.index}`);
    else if (!isPlaceholder(name))
      fail(`unknown placeholder {${name}}; use ${SUBJECT_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`);
    else used.push(name);
  }
  return used;
}

/**
 * Renders a subject template. The template is checked first; the values are validated (so a
 * subject never contains anything but slugs, ULIDs and enum values).
 *
 * @throws RuntrailError `VALIDATION_FAILED` for a bad template, a bad value, or `{runId}` without `runId`.
 */
export function renderSubjectTemplate(template: string, vars: SubjectVars): string {
  const used = subjectTemplatePlaceholders(template);
  const values = parseOrThrow(subjectVars, vars, 'subject values');
  if (used.includes('runId') && values.runId === undefined) {
    invalidField('runId', 'is required because the template uses {runId}');
  }
  return template.replace(TOKEN, (_token, name: SubjectPlaceholder) => values[name] ?? '');
}

/**
 * The OIDC `sub` claim: `space:<spaceId>:<stack|module>:<callerSlug>:run_type:<runType>:scope:<read|write>`
 * by default (seed 003), or an account's own template.
 */
export function oidcSubject(vars: SubjectVars, template: string = DEFAULT_SUBJECT_TEMPLATE): string {
  return renderSubjectTemplate(template, vars);
}

function isPlaceholder(name: string): name is SubjectPlaceholder {
  return KNOWN.has(name);
}
