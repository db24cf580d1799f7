import { HAND_BACK_FOR_MS, HAND_BACK_MS, HAND_BACK_PAUSE_MS, handBackAction, handBackDelay } from './delivery-inbox';

describe('handBackAction (another run’s message on the worker’s consumer)', () => {
  const now = Date.parse('2026-12-02T11:00:00Z');
  const later = new Date(now + 15 * 60_000).toISOString();

  it('hands back a fresh delivery however often siblings pulled it: its own exec may be stalled by a node’s death', () => {
    expect(handBackAction(later, now - 20_000, now)).toBe('nak');
    expect(handBackAction(undefined, now - 20_000, now)).toBe('nak');
  });

  it('drops a delivery whose credentials expired', () => {
    expect(handBackAction(new Date(now - 1).toISOString(), now - 1_000, now)).toBe('term');
  });

  it('drops one no exec claimed for longer than HAND_BACK_FOR_MS (a failure notice has no expiry)', () => {
    expect(handBackAction(undefined, now - HAND_BACK_FOR_MS - 1, now)).toBe('term');
    expect(handBackAction(later, now - HAND_BACK_FOR_MS - 1, now)).toBe('term');
  });
});

describe('handBackDelay (when a handed-back message is offered again)', () => {
  it('is random within HAND_BACK_MS, so that two execs do not keep getting back the message each just handed back', () => {
    expect(handBackDelay(0)).toBe(HAND_BACK_MS.min);
    expect(handBackDelay(0.999_999)).toBe(HAND_BACK_MS.max);
    expect(handBackDelay(0.5)).toBe((HAND_BACK_MS.min + HAND_BACK_MS.max) / 2);
  });

  it('is never immediate (an unclaimed message would come first on every pull) and the exec is back in line within the shortest', () => {
    expect(HAND_BACK_MS.min).toBeGreaterThan(0);
    expect(HAND_BACK_PAUSE_MS).toBeLessThan(HAND_BACK_MS.min);
  });
});
