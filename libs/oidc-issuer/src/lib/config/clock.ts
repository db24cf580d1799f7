/**
 * The time source of the issuer: token timestamps and the key schedule both read it, so a test can
 * move through a rotation without waiting days.
 */
export abstract class Clock {
  abstract now(): Date;
}

/** The system clock. */
export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
