// What the miner does when the chain refuses a block it found: which statuses are refusals (a
// stale tip is not: someone else's block simply came first), and how long to wait before the next
// search while refusals repeat (doubling, capped), so that a template broken for a reason the
// miner cannot see (a stale pool, a skewed clock) never spins a core.
import type { SubmitStatus } from '../chain/index.js';

export interface RefusalBackoffOptions {
  /** Wait after the first refusal, in ms; doubled for each one that follows. */
  initial: number;
  /** Longest wait, in ms. */
  max: number;
}

export const DEFAULT_REFUSAL_BACKOFF: Readonly<RefusalBackoffOptions> = Object.freeze({ initial: 500, max: 60_000 });

/** A found block that did not connect only because the tip moved on (side, or too far behind it). */
export function isStaleTip(status: SubmitStatus): boolean {
  return status === 'side' || status === 'low-work';
}

/** Consecutive refusals and the wait each one earns. */
export class RefusalBackoff {
  private repeats = 0;
  private lastReason: string | undefined;

  constructor(private readonly opts: RefusalBackoffOptions) {}

  /** Counts a refusal: its place in the streak, the wait before mining again, and whether it is news (first of its reason in the streak). */
  note(reason: string): { repeats: number; backoffMs: number; news: boolean } {
    this.repeats++;
    const news = reason !== this.lastReason;
    this.lastReason = reason;
    const backoffMs = Math.min(this.opts.max, this.opts.initial * 2 ** Math.min(this.repeats - 1, 30));
    return { repeats: this.repeats, backoffMs, news };
  }

  /** A block connected: the streak ends. Returns how long it was. */
  reset(): number {
    const n = this.repeats;
    this.repeats = 0;
    this.lastReason = undefined;
    return n;
  }
}
