import type { IntegrationSnapshot } from '@runtrail/contracts';
import { assertHealthy, sessionSeconds } from './issuance-limits';

const RUN = '01DSJ63P40BAZY4VW8BXXG7M4K';
const NOW = new Date('2026-12-01T10:00:00Z');
const inSeconds = (s: number) => new Date(NOW.getTime() + s * 1000);

describe('sessionSeconds', () => {
  it("is the integration's duration for a run without a deadline (events from before deadlines)", () => {
    expect(sessionSeconds(RUN, 3600, null, NOW)).toBe(3600);
  });

  it('is cut to what remains of the run, whole seconds down', () => {
    expect(sessionSeconds(RUN, 3600, new Date(NOW.getTime() + 1_200_900), NOW)).toBe(1200);
    expect(sessionSeconds(RUN, 3600, inSeconds(7200), NOW)).toBe(3600);
  });

  it("refuses with less than STS's shortest session left, and at or after the deadline", () => {
    expect(sessionSeconds(RUN, 3600, inSeconds(900), NOW)).toBe(900);
    expect(() => sessionSeconds(RUN, 3600, inSeconds(899), NOW)).toThrow(
      expect.objectContaining({ code: 'RUN_NOT_ACTIVE', message: expect.stringContaining('in 899 s') }),
    );
    for (const deadline of [NOW, inSeconds(-1)]) {
      expect(() => sessionSeconds(RUN, 3600, deadline, NOW)).toThrow(
        expect.objectContaining({
          code: 'RUN_NOT_ACTIVE',
          message: expect.stringContaining('reached its maximum lifetime'),
        }),
      );
    }
  });
});

describe('assertHealthy', () => {
  const integration = {
    id: '01HZY1V6QK3M7W3X9T2B5C8D4F',
    name: 'deploy',
    healthy: false,
  } as IntegrationSnapshot;

  it('names the integration, where the reasons are, and how to clear it', () => {
    expect(() => assertHealthy(integration)).toThrow(
      expect.objectContaining({
        code: 'UNSAFE_TRUST_POLICY',
        message: expect.stringMatching(
          /^integration deploy \(01HZY1V6QK3M7W3X9T2B5C8D4F\) failed re-verification: .*healthReasons.*POST \/v1\/integrations\/01HZY1V6QK3M7W3X9T2B5C8D4F\/verify$/,
        ),
      }),
    );
    expect(() => assertHealthy({ ...integration, healthy: true })).not.toThrow();
  });
});
