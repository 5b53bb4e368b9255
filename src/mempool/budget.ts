// Replacement budgets: a token bucket per key (a sender address, or an opaque source tag such as a
// peer id). Each accepted replacement is relayed again and may rebuild a template, so it is
// rationed. The table is capped; when full the stalest bucket goes (a forgotten key starts full,
// which costs at most one burst).

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly burst: number, private readonly everyMs: number, private readonly maxKeys = 10_000) {}

  private refill(key: string, now: number): Bucket | undefined {
    const b = this.buckets.get(key);
    if (!b) return undefined;
    const gained = this.everyMs > 0 ? (now - b.at) / this.everyMs : Infinity;
    b.tokens = Math.min(this.burst, b.tokens + gained);
    b.at = now;
    return b;
  }

  /** True when `key` may spend one token now (nothing is spent). */
  allows(key: string, now: number): boolean {
    const b = this.refill(key, now);
    return !b || b.tokens >= 1;
  }

  spend(key: string, now: number): void {
    let b = this.refill(key, now);
    if (!b) {
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
      if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    } else {
      // Re-insert: Map order is then least recently used first.
      this.buckets.delete(key);
      this.buckets.set(key, b);
    }
    b.tokens = Math.max(0, b.tokens - 1);
  }

  get size(): number {
    return this.buckets.size;
  }
}
