import { Clock } from '../../apps/api/src/common/clock';

/** Time that stands still until the test sets or advances it; code under test reads it through the `Clock` port. */
export class ManualClock extends Clock {
  constructor(public current: Date) {
    super();
  }

  // A copy, so code under test cannot move the test's time by mutating what it was given.
  now(): Date {
    return new Date(this.current);
  }

  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}
