// Clocks. Durations, timeouts, rates and the expiry of in-memory state are measured on the
// monotonic clock: it never steps (NTP corrections, a resume from suspend, an operator's `date`
// move only the wall clock), so a step can neither expire every timer at once nor freeze one for
// hours (Core's steady clocks for timeouts, geth's mclock). The wall clock (`Date.now()`) stays for
// what is about wall time: block timestamps and their drift check, persisted ban ends, records
// on disk with a TTL, dates shown to users.

/** When this process started, on the wall clock (fixed: a later step does not move it). */
const ORIGIN = performance.timeOrigin;

/**
 * Milliseconds on the monotonic clock. Offset by the process's start time so values read like
 * epoch ms (a `0` meaning "never" stays far in the past), but only differences mean anything:
 * never compare one with a `Date.now()` value, store it, or show it as a date.
 */
export function monotonicNow(): number {
  return ORIGIN + performance.now();
}
