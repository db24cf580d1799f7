// Test-only fast-check arbitraries. Valid inputs are generated from the contracts' own regexes, so
// the properties follow the contracts if they ever widen or narrow.
import fc from 'fast-check';
import type { z } from 'zod';
import {
  accountSlug,
  CALLER_TYPES,
  callerSlug,
  roleArn,
  RUN_TYPES,
  SCOPES,
  spaceId,
  ulid,
} from '@runtrail/contracts';

/** Strings accepted by a zod string schema, generated from the schema's regex check. */
export function matching(schema: z.ZodString): fc.Arbitrary<string> {
  const pattern = schema.def.checks
    ?.map((check) => check._zod.def)
    .map((def) => ('pattern' in def ? def.pattern : undefined))
    .find((p): p is RegExp => p instanceof RegExp);
  if (!pattern) throw new Error('schema has no regex check to generate from');
  return fc.stringMatching(pattern).filter((s) => schema.safeParse(s).success);
}

export const arbUlid = matching(ulid);
export const arbAccount = matching(accountSlug);
export const arbCallerSlug = matching(callerSlug);
export const arbSpaceId = matching(spaceId);
export const arbScope = fc.constantFrom(...SCOPES);
export const arbCallerType = fc.constantFrom(...CALLER_TYPES);
export const arbRunType = fc.constantFrom(...RUN_TYPES);
/** Role ARNs the contract accepts that also name a role (the contract lets a trailing `/` through). */
export const arbRoleArn = matching(roleArn).filter((arn) => !arn.endsWith('/'));

/** Any UTF-16 string, lone surrogates included: what a careless caller might pass. */
export const arbAnyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 300 }),
);
