import { RuntrailError } from '@runtrail/contracts';
import { after, decodeCursor, encodeCursor, toPage } from './cursor';

describe('cursors', () => {
  it('round-trips a position and refuses anything else with VALIDATION_FAILED', () => {
    expect(decodeCursor(encodeCursor({ t: 1700000000000, id: 'e-1' }))).toEqual({ t: 1700000000000, id: 'e-1' });
    expect(decodeCursor(undefined)).toBeNull();
    for (const bad of ['nonsense', Buffer.from('{"t":1}').toString('base64url'), Buffer.from('[1,2]').toString('base64url')]) {
      expect(() => decodeCursor(bad)).toThrow(RuntrailError);
    }
  });

  it('gives a next cursor only when a row beyond the page exists', () => {
    const rows = [{ t: 3, id: 'c' }, { t: 2, id: 'b' }, { t: 1, id: 'a' }];
    expect(toPage(rows, 2, (r) => r)).toEqual({ items: rows.slice(0, 2), nextCursor: encodeCursor({ t: 2, id: 'b' }) });
    expect(toPage(rows, 3, (r) => r).nextCursor).toBeNull();
  });

  it('builds a keyset condition in the list order', () => {
    expect(after({ t: 5, id: 'x' }, 'event_time', 'event_id', true)).toEqual({
      sql: '("event_time" < ? or ("event_time" = ? and "event_id" < ?))',
      params: [5, 5, 'x'],
    });
    expect(after(null, 'event_time', 'event_id', false).sql).toBe('1 = 1');
  });
});
