import fc from 'fast-check';
import { errorOf } from '../testing/error-of.helper';
import { arbAccount, arbAnyString, arbUlid } from '../testing/identity.arbitraries';
import {
  looksLikeRuntrailSession,
  parseRoleSessionName,
  roleSessionName,
  runIdOfSession,
} from './role-session-name.format';
import { ROLE_SESSION_NAME_PATTERN } from './sts-limits.constants';

const RUN = '01DSJ63P40BAZY4VW8BXXG7M4K';
const CALLER = '01DSJ63P40BAZY4VW8BXXG7M4M';

describe('roleSessionName', () => {
  it('is <runId>@<callerId>@<account>', () => {
    expect(roleSessionName({ runId: RUN, callerId: CALLER, account: 'acme' })).toBe(`${RUN}@${CALLER}@acme`);
  });

  it('cuts a long account so the name stays within 64 characters', () => {
    const name = roleSessionName({
      runId: RUN,
      callerId: CALLER,
      account: 'a-very-long-account-slug-indeed',
    });
    expect(name).toHaveLength(64);
    expect(name).toBe(`${RUN}@${CALLER}@a-very-lon`);
  });

  it('replaces characters STS refuses, and the @ separator inside parts, with -', () => {
    expect(roleSessionName({ runId: RUN, callerId: 'a b/c@d', account: 'zürich:1' })).toBe(
      `${RUN}@a-b-c-d@z-rich-1`,
    );
  });

  it('refuses a run id that is not a ULID, naming runId', () => {
    const error = errorOf(() => roleSessionName({ runId: 'run-1', callerId: CALLER, account: 'acme' }));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues?.map((i) => i.path)).toEqual(['runId']);
  });

  it('satisfies STS RoleSessionName rules and starts with the run id, whatever the caller id and account', () => {
    fc.assert(
      fc.property(arbUlid, arbAnyString, arbAnyString, (runId, callerId, account) => {
        const name = roleSessionName({ runId, callerId, account });
        expect(name).toMatch(ROLE_SESSION_NAME_PATTERN);
        expect(name.startsWith(`${runId}@`)).toBe(true);
      }),
    );
  });

  it('never gives two runs the same name, even when the rest is cut off', () => {
    fc.assert(
      fc.property(arbUlid, arbUlid, arbAnyString, arbAnyString, (a, b, callerId, account) => {
        fc.pre(a !== b);
        const long = account.padEnd(64, 'x');
        expect(roleSessionName({ runId: a, callerId, account: long })).not.toBe(
          roleSessionName({ runId: b, callerId, account: long }),
        );
      }),
    );
  });
});

describe('parseRoleSessionName', () => {
  it('reads back run id, caller id and account of a name that was not cut', () => {
    expect(parseRoleSessionName(`${RUN}@${CALLER}@acme`)).toEqual({
      runId: RUN,
      callerId: CALLER,
      account: 'acme',
      mayBeTruncated: false,
    });
  });

  it('round-trips valid parts: exactly when short, as a prefix of the account when cut', () => {
    fc.assert(
      fc.property(arbUlid, arbUlid, arbAccount, (runId, callerId, account) => {
        const parsed = parseRoleSessionName(roleSessionName({ runId, callerId, account }));
        expect(parsed).not.toBeNull();
        expect(parsed?.runId).toBe(runId);
        expect(parsed?.callerId).toBe(callerId);
        if (parsed?.mayBeTruncated) expect(account.startsWith(parsed.account)).toBe(true);
        else expect(parsed?.account).toBe(account);
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
      fc.property(arbUlid, arbAnyString, arbAnyString, (runId, callerId, account) => {
        const name = roleSessionName({ runId, callerId, account });
        expect(looksLikeRuntrailSession(name)).toBe(true);
        expect(runIdOfSession(name)).toBe(runId);
      }),
    );
  });
});
