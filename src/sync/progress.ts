// Sync progress: headers known, blocks connected, peers serving, a smoothed rate and an ETA; what
// the log line and /api/status show.

import { monotonicNow } from '../core/index.js';

export interface SyncProgress {
  /** Height of the best checked header (our tip's height when no header is ahead). */
  headers: number;
  /** Height of the connected tip. */
  blocks: number;
  /** Peers that delivered a body in the last few seconds, or have requests in flight. */
  peersServing: number;
  /** Blocks connected per second, smoothed. */
  blocksPerSec: number;
  /** Seconds to reach `headers` at this rate; null while the rate is unknown or zero. */
  etaSeconds: number | null;
  /** Bodies in flight and bodies buffered ahead of the tip. */
  inflight: number;
  buffered: number;
}

/** Smoothed connect rate over samples a second or more apart. */
export class RateMeter {
  private last: { t: number; h: number } | undefined;
  private rate = 0;

  sample(height: number, now = monotonicNow()): number {
    if (!this.last) this.last = { t: now, h: height };
    const dt = now - this.last.t;
    if (dt >= 1000) {
      const r = ((height - this.last.h) * 1000) / dt;
      this.rate = this.rate === 0 ? r : this.rate * 0.7 + r * 0.3;
      this.last = { t: now, h: height };
    }
    return this.rate;
  }

  get perSec(): number {
    return this.rate;
  }
}
