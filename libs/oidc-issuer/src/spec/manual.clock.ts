import { Clock } from '../lib/config/clock';

/** A clock tests move by hand, to walk through a key schedule of days in milliseconds. */
export class ManualClock extends Clock {
  private at: number;

  constructor(start: Date | number = Date.now()) {
    super();
    this.at = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.at);
  }

  set(to: Date | number): void {
    this.at = typeof to === 'number' ? to : to.getTime();
  }

  advance(ms: number): void {
    this.at += ms;
  }
}
