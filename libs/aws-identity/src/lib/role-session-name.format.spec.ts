import fc from 'fast-check';
import { errorOf } from '../testing/error-of.helper';
import { arbAccount, arbAnyString, arbCallerSlug, arbUlid } from '../testing/identity.arbitraries';
import {
  looksLikeRuntrailSession,
  parseRoleSessionName,
  roleSessionName,
  runIdOfSession,
} from './role-session-name.format';
import { ROLE_SESSION_NAME_PATTERN } from './sts-limits.constants';

const RUN = '01DSJ63P40BAZY4VW8BXXG7M4K';
const CALLER = '01DSJ63P40BAZY4VW8BXXG7M4M';
const SLUG = 'network';

describe('roleSessionName', () => {
  it('is <runId>@<callerSlug>@<account>, as seed 004 names it', () => {
    expect(roleSessionName({ runId: RUN, callerSlug: SLUG, account: 'acme' })).toBe(`${RUN}@network@acme`);
  });

  it('cuts a long account so the name stays within 64 characters', () => {
    const name = roleSessionName({
      runId: RUN,
      callerSlug: 'production-network-stack',
      account: 'a-very-long-account-slug-indeed',
    });
    expect(name).toHaveLength(64);
    expect(name).toBe(`${RUN}@production-network-stack@a-very-long-`);
  });

  it('cuts a long caller slug too, leaving no account at all', () => {
    const name = roleSessionName({ runId: RUN, callerSlug: 's'.repeat(64), account: 'acme' });
    expect(name).toBe(`${RUN}@${'s'.repeat(37)}`);
    expect(parseRoleSessionName(name)).toEqual({
      runId: RUN,
      caller: 's'.repeat(37),
      account: '',
      mayBeTruncated: true,
    });
  });

  it('replaces characters STS refuses, and the @ separator inside parts, with -', () => {
    expect(roleSessionName({ runId: RUN, callerSlug: 'a b/c@d', account: 'zürich:1' })).toBe(
      `${RUN}@a-b-c-d@z-rich-1`,
    );
  });

  it('refuses a run id that is not a ULID, naming runId', () => {
    const error = errorOf(() => roleSessionName({ runId: 'run-1', callerSlug: SLUG, account: 'acme' }));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues?.map((i) => i.path)).toEqual(['runId']);
  });

  it('satisfies STS RoleSessionName rules and starts with the run id, whatever the caller slug and account', () => {
    fc.assert(
      fc.property(arbUlid, arbAnyString, arbAnyString, (runId, callerSlug, account) => {
        const name = roleSessionName({ runId, callerSlug, account });
        expect(name).toMatch(ROLE_SESSION_NAME_PATTERN);
        expect(name.startsWith(`${runId}@`)).toBe(true);
      }),
    );
  });

  it('never gives two runs the same name, even when the rest is cut off', () => {
    fc.assert(
      fc.property(arbUlid, arbUlid, arbAnyString, arbAnyString, (a, b, callerSlug, account) => {
        fc.pre(a !== b);
        const long = account.padEnd(64, 'x');
        expect(roleSessionName({ runId: a, callerSlug, account: long })).not.toBe(
          roleSessionName({ runId: b, callerSlug, account: long }),
        );
      }),
    );
  });
});

describe('parseRoleSessionName', () => {
  it('reads back run id, caller slug and account of a name that was not cut', () => {
    expect(parseRoleSessionName(`${RUN}@${SLUG}@acme`)).toEqual({
      runId: RUN,
      caller: SLUG,
      account: 'acme',
      mayBeTruncated: false,
    });
  });

  it('still reads names made before the slug replaced the caller id, which trails keep', () => {
    expect(parseRoleSessionName(`${RUN}@${CALLER}@acme`)).toEqual({
      runId: RUN,
      caller: CALLER,
      account: 'acme',
      mayBeTruncated: false,
    });
    expect(runIdOfSession(`${RUN}@${CALLER}@a-very-long-account-slug`.slice(0, 64))).toBe(RUN);
  });

  it('round-trips valid parts: exactly when short, as prefixes of the slug and account when cut', () => {
    fc.assert(
      fc.property(arbUlid, arbCallerSlug, arbAccount, (runId, callerSlug, account) => {
        const parsed = parseRoleSessionName(roleSessionName({ runId, callerSlug, account }));
        expect(parsed).not.toBeNull();
        expect(parsed?.runId).toBe(runId);
        if (parsed?.mayBeTruncated) {
          expect(callerSlug.startsWith(parsed.caller)).toBe(true);
          expect(account.startsWith(parsed.account)).toBe(true);
        } else {
          expect(parsed?.caller).toBe(callerSlug);
          expect(parsed?.account).toBe(account);
        }
      }),
    );
  });

  it.each([
    ['an AWS CLI default session', 'botocore-session-1732270000'],
    ['a lowercase ULID', `${RUN.toLowerCase()}@${CALLER}@acme`],
    ['a run id without separator', `${RUN}`],
    ['a run id glued to more text', `${RUN}X@${CALLER}@acme`],
    ['too many parts', `${RUN}@${CALLER}@acme@more`],
    ['a name longer than STS allows', `${RUN}@${CALLER}@${'a'.repeat(20)}`],
    ['a character STS refuses', `${RUN}@${CALLER}@ac me`],
  ])('does not recognise %s', (_label, name) => {
    expect(parseRoleSessionName(name)).toBeNull();
    expect(looksLikeRuntrailSession(name)).toBe(false);
    expect(runIdOfSession(name)).toBeNull();
  });

  it('recognises every name roleSessionName makes and returns its run id', () => {
    fc.assert(
      fc.property(arbUlid, arbAnyString, arbAnyString, (runId, callerSlug, account) => {
        const name = roleSessionName({ runId, callerSlug, account });
        expect(looksLikeRuntrailSession(name)).toBe(true);
        expect(runIdOfSession(name)).toBe(runId);
      }),
    );
  });
});
