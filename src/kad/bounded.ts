// Bounded per-source state: an LRU map whose entries also expire, and per-source token buckets
// built on it. Every map the discovery layer keys by a remote address or id is one of these, so a
// flood from many addresses evicts the oldest entries instead of growing memory.

/** Insertion-ordered map with a size cap (least recently set or read goes first) and an expiry. */
export class ExpiringLru<V, K = string> {
  private readonly items = new Map<K, { v: V; at: number }>();
  constructor(readonly cap: number, readonly ttlMs: number) {}

  get size(): number {
    return this.items.size;
  }

  get(key: K, now: number): V | undefined {
    const e = this.items.get(key);
    if (!e) return undefined;
    if (now - e.at > this.ttlMs) {
      this.items.delete(key);
      return undefined;
    }
    return e.v;
  }

  /** When `key` was last set (undefined if absent or expired). */
  age(key: K, now: number): number | undefined {
    const e = this.items.get(key);
    if (!e || now - e.at > this.ttlMs) return undefined;
    return now - e.at;
  }

  set(key: K, v: V, now: number): void {
    // Re-inserted to move it to the newest end; its slot object is reused, not reallocated.
    const e = this.items.get(key);
    if (e) {
      this.items.delete(key);
      e.v = v;
      e.at = now;
      this.items.set(key, e);
      return;
    }
    this.items.set(key, { v, at: now });
    while (this.items.size > this.cap) {
      const oldest = this.items.keys().next().value;
      if (oldest === undefined) break;
      this.items.delete(oldest);
    }
  }

  delete(key: K): void {
    this.items.delete(key);
  }
}

/** Token bucket per source: `burst` at once, refilled at `perSecond`; bounded in sources. */
export class SourceBudget {
  private readonly buckets: ExpiringLru<{ tokens: number; at: number }>;
  constructor(private readonly burst: number, private readonly perSecond: number, cap = 4096) {
    // A source idle long enough to refill completely needs no entry at all.
    this.buckets = new ExpiringLru(cap, Math.ceil((burst / perSecond) * 1000) + 1000);
  }

  get size(): number {
    return this.buckets.size;
  }

  take(source: string, now: number, cost = 1): boolean {
    const b = this.buckets.get(source, now) ?? { tokens: this.burst, at: now };
    const tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    const ok = tokens >= cost;
    // The bucket object is updated in place (one per source, not one per packet).
    b.tokens = ok ? tokens - cost : tokens;
    b.at = now;
    this.buckets.set(source, b, now);
    return ok;
  }
}
