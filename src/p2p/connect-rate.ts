// The inbound connect rate: a token bucket per source (host; a public address's /24 or /64), so a
// source that connects, handshakes (or fails to) and reconnects in a loop gets a bounded number of
// handshakes (a signature and a verification each) per second. Checked when the TCP socket is
// accepted, before the upgrade is parsed or any key is touched (geth: inboundThrottleTime). The
// buckets live in a bounded map in recency order: a source whose bucket refilled carries no
// information and is forgotten; past the cap the least recently seen source is.
import { KeyedTokenBuckets, monotonicNow } from '../core/index.js';

export interface ConnectRateLimits {
  /** Sustained inbound connection attempts per source per second (bucket refill). */
  perSecond: number;
  /** Attempts a source may make at once (bucket size). */
  burst: number;
  /** Sources remembered at once; past it the least recently seen is forgotten. */
  maxSources: number;
}

export class ConnectRateLimiter {
  private readonly buckets: KeyedTokenBuckets;
  private refused = 0;

  constructor(limits: ConnectRateLimits, private readonly now: () => number = monotonicNow) {
    this.buckets = new KeyedTokenBuckets({ burst: Math.max(1, limits.burst), perSecond: limits.perSecond }, limits.maxSources);
  }

  /** Sources currently remembered (at most `maxSources`). */
  get size(): number {
    return this.buckets.size;
  }

  /** Attempts refused since start. */
  get refusedCount(): number {
    return this.refused;
  }

  /** Takes one attempt from `source`'s bucket; false when it is empty (the connection is to be closed unserved). */
  take(source: string): boolean {
    const ok = this.buckets.take(source, this.now());
    if (!ok) this.refused++;
    return ok;
  }

  /** Forgets every source (shutdown). */
  clear(): void {
    this.buckets.clear();
  }
}
