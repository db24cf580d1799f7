import fc from 'fast-check';
import { accountSlug, callerSlug } from '@runtrail/contracts';
import { errorOf } from '../testing/error-of.helper';
import { arbAccount, arbCallerSlug, arbScope, arbUlid } from '../testing/identity.arbitraries';
import { externalId, parseExternalId, type ExternalIdParts } from './external-id.format';
import { EXTERNAL_ID_PATTERN } from './sts-limits.constants';

const arbParts: fc.Arbitrary<ExternalIdParts> = fc.record({
  account: arbAccount,
  integrationId: arbUlid,
  callerSlug: arbCallerSlug,
  scope: arbScope,
});

const example: ExternalIdParts = {
  account: 'acme',
  integrationId: '01DSJ63P40BAZY4VW8BXXG7M4K',
  callerSlug: 'prod-network',
  scope: 'write',
};

describe('externalId', () => {
  it('joins account, integration, caller and scope with @', () => {
    expect(externalId(example)).toBe('acme@01DSJ63P40BAZY4VW8BXXG7M4K@prod-network@write');
  });

  it('differs between the read and write scope of the same attachment', () => {
    expect(externalId({ ...example, scope: 'read' })).not.toBe(externalId(example));
  });

  it.each([
    ['account', { account: 'Acme' }],
    ['account', { account: 'a'.repeat(41) }],
    ['integrationId', { integrationId: '01dsj63p40bazy4vw8bxxg7m4k' }],
    ['callerSlug', { callerSlug: 'prod@network' }],
    ['callerSlug', { callerSlug: '' }],
    ['scope', { scope: 'admin' }],
  ])('refuses a bad %s with VALIDATION_FAILED naming it', (field, patch) => {
    const error = errorOf(() => externalId({ ...example, ...patch } as ExternalIdParts));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues?.map((i) => i.path)).toEqual([field]);
    expect(error.message).toContain(field);
  });

  it('names every bad field at once', () => {
    const error = errorOf(() =>
      externalId({ account: '', integrationId: 'x', callerSlug: 'ok', scope: 'read' }),
    );
    expect(error.issues?.map((i) => i.path).sort()).toEqual(['account', 'integrationId']);
  });

  it('satisfies STS ExternalId rules for every valid input', () => {
    fc.assert(
      fc.property(arbParts, (parts) => {
        expect(externalId(parts)).toMatch(EXTERNAL_ID_PATTERN);
      }),
    );
  });

  it('gives different attachments and scopes different external ids', () => {
    fc.assert(
      fc.property(arbParts, arbParts, (a, b) => {
        const same =
          a.account === b.account &&
          a.integrationId === b.integrationId &&
          a.callerSlug === b.callerSlug &&
          a.scope === b.scope;
        expect(externalId(a) === externalId(b)).toBe(same);
      }),
    );
  });

  it('also separates inputs that differ only in where one part ends and the next begins', () => {
    fc.assert(
      fc.property(arbParts, fc.integer({ min: 1, max: 10 }), (parts, cut) => {
        fc.pre(parts.callerSlug.length > cut);
        const moved = {
          ...parts,
          account: `${parts.account}${parts.callerSlug.slice(0, cut)}`,
          callerSlug: parts.callerSlug.slice(cut),
        };
        fc.pre(
          accountSlug.safeParse(moved.account).success && callerSlug.safeParse(moved.callerSlug).success,
        );
        expect(externalId(moved)).not.toBe(externalId(parts));
      }),
    );
  });
});

describe('parseExternalId', () => {
  it('reads back what externalId wrote', () => {
    fc.assert(
      fc.property(arbParts, (parts) => {
        expect(parseExternalId(externalId(parts))).toEqual(parts);
      }),
    );
  });

  it.each([
    'my-custom-external-id',
    'acme@01DSJ63P40BAZY4VW8BXXG7M4K@prod-network',
    'acme@01DSJ63P40BAZY4VW8BXXG7M4K@prod-network@admin',
    'acme@01DSJ63P40BAZY4VW8BXXG7M4K@prod-network@write@extra',
    'Acme@01DSJ63P40BAZY4VW8BXXG7M4K@prod-network@write',
    'acme@not-a-ulid@prod-network@write',
    '',
  ])('does not recognise %p as a runtrail external id', (value) => {
    expect(parseExternalId(value)).toBeNull();
  });
});
