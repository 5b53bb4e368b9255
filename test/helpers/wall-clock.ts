// Steps this process's wall clock, as an NTP correction, a resume from suspend or an operator's
// `date` does: `Date.now` jumps by the offset while `performance.now` (the monotonic clock) keeps
// running. Restored when the test ends, also on failure.
import type { TestContext } from 'node:test';

const realDateNow = Date.now;
let offsetMs = 0;

/** Moves `Date.now()` by `ms` (negative: back) from now on, until the end of test `t`. Steps add up. */
export function stepWallClock(t: TestContext, ms: number): void {
  if (Date.now === realDateNow) {
    Date.now = () => realDateNow() + offsetMs;
    t.after(() => {
      Date.now = realDateNow;
      offsetMs = 0;
    });
  }
  offsetMs += ms;
}

export const HOUR_MS = 60 * 60 * 1000;
