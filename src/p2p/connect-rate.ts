// The inbound connect rate: a token bucket per source (host; a public address's /24 or /64), so a
// source that connects, handshakes (or fails to) and reconnects in a loop gets a bounded number of
// handshakes (a signature and a verification each) per second. Checked when the TCP socket is
// accepted, before the upgrade is parsed or any key is touched (geth: inboundThrottleTime). The
// buckets live in a bounded map in recency order: a source whose bucket refilled carries no
// information and is forgotten; past the cap the least recently seen source is.

export interface ConnectRateLimits {
  /** Sustained inbound connection attempts per source per second (bucket refill). */
  perSecond: number;
  /** Attempts a source may make at once (bucket size). */
  burst: number;
  /** Sources remembered at once; past it the least recently seen is forgotten. */
  maxSources: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class ConnectRateLimiter {
  /** Insertion order is recency order: the first entry is the least recently seen source. */
  private readonly buckets = new Map<string, Bucket>();
  private refused = 0;

  constructor(private readonly limits: ConnectRateLimits, private readonly now: () => number = Date.now) {}

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
    const l = this.limits;
    const now = this.now();
    const burst = Math.max(1, l.burst);
    const b = this.buckets.get(source);
    let tokens = burst;
    if (b) {
      this.buckets.delete(source);
      tokens = Math.min(burst, b.tokens + (Math.max(0, now - b.at) * l.perSecond) / 1000);
    }
    const ok = tokens >= 1;
    if (ok) tokens -= 1;
    else this.refused++;
    this.buckets.set(source, { tokens, at: now });
    this.expire(now);
    return ok;
  }

  /** Forgets every source (shutdown). */
  clear(): void {
    this.buckets.clear();
  }

  /** Drops the least recently seen sources while over the cap or already refilled (only the oldest few are looked at). */
  private expire(now: number): void {
    const l = this.limits;
    const burst = Math.max(1, l.burst);
    for (const [k, b] of this.buckets) {
      const over = this.buckets.size > Math.max(1, l.maxSources);
      const full = b.tokens + (Math.max(0, now - b.at) * l.perSecond) / 1000 >= burst;
      if (!over && !full) break;
      this.buckets.delete(k);
    }
  }
}
