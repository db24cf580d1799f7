import fc from 'fast-check';
import type { KeySchedule } from '../config/oidc-issuer.config';
import { planRotation, type KeyState, type RotationStep } from './rotation.plan';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const schedule: KeySchedule = {
  alg: 'ES256',
  rotationIntervalSeconds: 7 * 86_400,
  publishLeadSeconds: 600,
  retentionSeconds: 12 * 3600 + 120,
  maxPublishedKeys: 4,
};
const t0 = new Date('2026-11-01T00:00:00Z').getTime();
const at = (ms: number) => new Date(t0 + ms);

function key(kid: string, status: KeyState['status'], fields: Partial<KeyState> = {}): KeyState {
  return { kid, alg: 'ES256', status, createdAt: at(0), activatedAt: status === 'active' ? at(0) : null, unpublishAt: null, ...fields };
}

describe('planRotation', () => {
  it('creates the first key active on an empty table', () => {
    expect(planRotation([], at(0), schedule)).toEqual([{ kind: 'create', status: 'active', alg: 'ES256' }]);
  });

  it('does nothing while the active key is young', () => {
    expect(planRotation([key('a', 'active')], at(3 * DAY), schedule)).toEqual([]);
  });

  it('publishes a next key one lead before the interval ends, not earlier', () => {
    const lead = schedule.publishLeadSeconds * 1000;
    expect(planRotation([key('a', 'active')], at(7 * DAY - lead - 1), schedule)).toEqual([]);
    expect(planRotation([key('a', 'active')], at(7 * DAY - lead), schedule)).toEqual([{ kind: 'create', status: 'next', alg: 'ES256' }]);
  });

  it('activates the next key only when the interval is over and it has been published for the lead', () => {
    const next = key('b', 'next', { createdAt: at(7 * DAY - 5 * MIN) });
    expect(planRotation([key('a', 'active'), next], at(7 * DAY), schedule)).toEqual([]);
    expect(planRotation([key('a', 'active'), next], at(7 * DAY + 5 * MIN), schedule)).toEqual([
      { kind: 'activate', kid: 'b', retire: 'a', unpublishAt: at(7 * DAY + 5 * MIN + schedule.retentionSeconds * 1000) },
    ]);
  });

  it('unpublishes a retired key once its unpublish time has come', () => {
    const retired = key('old', 'retired', { unpublishAt: at(DAY) });
    expect(planRotation([key('a', 'active'), retired], at(DAY - 1), schedule)).toEqual([]);
    expect(planRotation([key('a', 'active'), retired], at(DAY), schedule)).toEqual([{ kind: 'unpublish', kid: 'old' }]);
  });

  it('defers rotation rather than publish more than the maximum', () => {
    const retired = [1, 2, 3].map((n) => key(`r${n}`, 'retired', { unpublishAt: at(8 * DAY + n * HOUR) }));
    const steps = planRotation([key('a', 'active'), ...retired], at(7 * DAY), schedule);
    expect(steps).toEqual([{ kind: 'deferred', reason: expect.stringContaining('4 of at most 4 keys') }]);
    expect((steps[0] as Extract<RotationStep, { kind: 'deferred' }>).reason).toContain(at(8 * DAY + HOUR).toISOString());
  });

  it('rotates at once after OIDC_SIGNING_ALG changed, discarding a next key of the old algorithm', () => {
    const rs = { ...schedule, alg: 'RS256' as const };
    expect(planRotation([key('a', 'active')], at(DAY), rs)).toEqual([{ kind: 'create', status: 'next', alg: 'RS256' }]);
    expect(planRotation([key('a', 'active'), key('b', 'next', { createdAt: at(DAY) })], at(DAY), rs)).toEqual([
      { kind: 'discard-next', kid: 'b' },
      { kind: 'create', status: 'next', alg: 'RS256' },
    ]);
    const rsNext = { ...key('c', 'next', { createdAt: at(DAY) }), alg: 'RS256' as const };
    expect(planRotation([key('a', 'active'), rsNext], at(DAY + 10 * MIN), rs)).toEqual([
      expect.objectContaining({ kind: 'activate', kid: 'c', retire: 'a' }),
    ]);
  });

  it('activates a waiting next key at once when no key is active', () => {
    expect(planRotation([key('b', 'next')], at(0), schedule)).toEqual([expect.objectContaining({ kind: 'activate', kid: 'b', retire: null })]);
  });
});

/** An in-memory table the plan is applied to, as the store would (minus the races). */
class Simulation {
  keys: KeyState[] = [];
  private serial = 0;
  /** When each key was first published, and when it started signing. */
  publishedAt = new Map<string, number>();
  activatedAt = new Map<string, number>();
  tokens: Array<{ kid: string; exp: number }> = [];

  constructor(private readonly s: KeySchedule) {}

  tick(now: number): void {
    for (const step of planRotation(this.keys, new Date(now), this.s)) this.apply(step, now);
  }

  sign(now: number, lifetimeSeconds: number): void {
    const active = this.keys.find((k) => k.status === 'active');
    if (active) this.tokens.push({ kid: active.kid, exp: now + lifetimeSeconds * 1000 });
  }

  private apply(step: RotationStep, now: number): void {
    if (step.kind === 'unpublish' || step.kind === 'discard-next') this.keys = this.keys.filter((k) => k.kid !== step.kid);
    if (step.kind === 'create') {
      const kid = `k${++this.serial}`;
      this.keys.push({ kid, alg: step.alg, status: step.status, createdAt: new Date(now), activatedAt: step.status === 'active' ? new Date(now) : null });
      this.publishedAt.set(kid, now);
      if (step.status === 'active') this.activatedAt.set(kid, now);
    }
    if (step.kind === 'activate') {
      this.keys = this.keys.map((k) => {
        if (k.kid === step.retire) return { ...k, status: 'retired', unpublishAt: step.unpublishAt };
        if (k.kid === step.kid) return { ...k, status: 'active', activatedAt: new Date(now) };
        return k;
      });
      this.activatedAt.set(step.kid, now);
    }
  }
}

describe('the key schedule over months of random ticks', () => {
  const scheduleArb = fc.record({
    alg: fc.constant('ES256' as const),
    rotationIntervalSeconds: fc.integer({ min: 3600, max: 30 * 86_400 }),
    publishLeadSeconds: fc.constant(600),
    retentionSeconds: fc.integer({ min: 60 + 120, max: 12 * 3600 + 120 }),
    maxPublishedKeys: fc.integer({ min: 2, max: 6 }),
  });
  const ticks = fc.array(fc.record({ gapMs: fc.integer({ min: 1000, max: 2 * DAY }), lifetimeSeconds: fc.integer({ min: 60, max: 43_200 }) }), {
    minLength: 1,
    maxLength: 200,
  });

  it('keeps every unexpired token verifiable, publishes ahead, and never exceeds the key limit', () => {
    fc.assert(
      fc.property(scheduleArb, ticks, (s, steps) => {
        const sim = new Simulation(s);
        let now = t0;
        sim.tick(now);
        for (const { gapMs, lifetimeSeconds } of steps) {
          // Tokens never outlive the retention's lifetime part (the schedule is built that way).
          sim.sign(now, Math.min(lifetimeSeconds, s.retentionSeconds - 120));
          now += gapMs;
          sim.tick(now);
          const published = new Set(sim.keys.map((k) => k.kid));
          expect(sim.keys.filter((k) => k.status === 'active')).toHaveLength(1);
          expect(sim.keys.length).toBeLessThanOrEqual(s.maxPublishedKeys);
          for (const token of sim.tokens) if (token.exp > now) expect(published.has(token.kid)).toBe(true);
          for (const [kid, activated] of sim.activatedAt) {
            // Only the very first key may sign without having been published beforehand.
            if (kid !== 'k1') expect(activated - sim.publishedAt.get(kid)!).toBeGreaterThanOrEqual(s.publishLeadSeconds * 1000);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('rotates on time when the limit leaves room for the retired keys', () => {
    const s: KeySchedule = { ...schedule, rotationIntervalSeconds: 86_400 };
    const sim = new Simulation(s);
    for (let now = t0; now <= t0 + 30 * DAY; now += 5 * MIN) sim.tick(now);
    const starts = [...sim.activatedAt.values()].sort((a, b) => a - b);
    expect(starts.length).toBeGreaterThanOrEqual(30);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeLessThanOrEqual(DAY + 5 * MIN);
  });
});
