import type { JsMsg } from '@nats-io/jetstream';
import { InProgressTicker } from './in-progress';

function message(): JsMsg & { working: jest.Mock } {
  return { working: jest.fn() } as unknown as JsMsg & { working: jest.Mock };
}

describe('InProgressTicker (messages a replica still handles are not redelivered)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('marks a message in progress every third of the ack wait while it is held, so the ack wait never runs out', () => {
    const ticker = new InProgressTicker(3_000);
    const slow = message();
    const settled = ticker.hold(slow);
    jest.advanceTimersByTime(900);
    expect(slow.working).not.toHaveBeenCalled();
    jest.advanceTimersByTime(100); // held for a third of the ack wait
    expect(slow.working).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(4_000);
    expect(slow.working).toHaveBeenCalledTimes(5);
    settled();
    jest.advanceTimersByTime(5_000);
    expect(slow.working).toHaveBeenCalledTimes(5);
    ticker.stop();
  });

  it('leaves a message handled within a third of the ack wait alone, and stops with the consumer', () => {
    const ticker = new InProgressTicker(3_000);
    const quick = message();
    ticker.hold(quick)();
    const held = message();
    ticker.hold(held);
    ticker.stop();
    jest.advanceTimersByTime(10_000);
    expect(quick.working).not.toHaveBeenCalled();
    expect(held.working).not.toHaveBeenCalled();
  });
});
