/** The broker's time source (ledger timestamps, worker-mode expiry); a seam for tests. */
export abstract class Clock {
  abstract now(): Date;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}
