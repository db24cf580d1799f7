import fc from 'fast-check';
import { errorOf } from '../testing/error-of.helper';
import { arbUlid } from '../testing/identity.arbitraries';
import { runIdOfSourceIdentity, sourceIdentity } from './source-identity.format';
import { SOURCE_IDENTITY_PATTERN } from './sts-limits.constants';

describe('sourceIdentity', () => {
  it('is the run id', () => {
    expect(sourceIdentity('01DSJ63P40BAZY4VW8BXXG7M4K')).toBe('01DSJ63P40BAZY4VW8BXXG7M4K');
  });

  it('satisfies STS SourceIdentity rules for every run id and reads back to it', () => {
    fc.assert(
      fc.property(arbUlid, (runId) => {
        const value = sourceIdentity(runId);
        expect(value).toMatch(SOURCE_IDENTITY_PATTERN);
        expect(value.toLowerCase().startsWith('aws:')).toBe(false);
        expect(runIdOfSourceIdentity(value)).toBe(runId);
      }),
    );
  });

  it.each(['', 'run-1', 'aws:01DSJ63P40BAZY4VW8BXXG7M4K'])('refuses %p, naming runId', (runId) => {
    const error = errorOf(() => sourceIdentity(runId));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues?.[0]?.path).toBe('runId');
  });

  it.each(['alice@example.com', 'aws:01DSJ63P40BAZY4VW8BXXG7M4K', '01dsj63p40bazy4vw8bxxg7m4k'])(
    'does not take %p for a run id',
    (value) => {
      expect(runIdOfSourceIdentity(value)).toBeNull();
    },
  );
});
