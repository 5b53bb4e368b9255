// Token buckets: the one rate limiter behind every budget of a peer, a source or a key (p2p connects
// and messages, discovery requests, mempool replacements, transaction validation, API requests and
// event frames, body bytes served). `refill` is the arithmetic; `KeyedTokenBuckets` keeps one
// bucket per key in a bounded map.

export interface TokenRate {
  /** Bucket size: what may be spent at once. */
  burst: number;
  /** Tokens back per second (Infinity: always full). */
  perSecond: number;
}

export interface TokenBucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
}

/** What `b` holds at `now`: its tokens at `b.at` plus the refill since (a clock going back refills nothing), never above the burst. */
export function refill(b: TokenBucket, rate: TokenRate, now: number): number {
  if (rate.perSecond === Infinity) return rate.burst;
  return Math.min(rate.burst, b.tokens + (Math.max(0, now - b.at) * rate.perSecond) / 1000);
}

/**
 * One bucket per key, in a map kept in recency order and capped at `maxKeys`. A bucket that has
 * refilled carries no information (a key not held starts full), so the least recently used keys
 * are forgotten while over the cap or full; only the oldest few are looked at per use.
 */
export class KeyedTokenBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly rate: TokenRate, private readonly maxKeys: number) {}

  get size(): number {
    return this.buckets.size;
  }

  /** Tokens `key` holds at `now`; nothing is spent or remembered. */
  tokens(key: string, now: number): number {
    const b = this.buckets.get(key);
    return b ? refill(b, this.rate, now) : this.rate.burst;
  }

  /** Spends `cost` when the bucket holds it; otherwise spends nothing and returns false. */
  take(key: string, now: number, cost = 1): boolean {
    const tokens = this.tokens(key, now);
    const ok = tokens >= cost;
    this.put(key, ok ? tokens - cost : tokens, now);
    return ok;
  }

  /** Spends `cost` whatever the bucket holds, down to zero at most (work already allowed and done). */
  spend(key: string, now: number, cost = 1): void {
    this.put(key, Math.max(0, this.tokens(key, now) - cost), now);
  }

  clear(): void {
    this.buckets.clear();
  }

  private put(key: string, tokens: number, now: number): void {
    let b = this.buckets.get(key);
    if (b) this.buckets.delete(key);
    else b = { tokens, at: now };
    b.tokens = tokens;
    b.at = now;
    this.buckets.set(key, b);
    const cap = Math.max(1, this.maxKeys);
    for (const [k, old] of this.buckets) {
      if (k === key || (this.buckets.size <= cap && refill(old, this.rate, now) < this.rate.burst)) break;
      this.buckets.delete(k);
    }
  }
}
