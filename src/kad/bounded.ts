// Bounded per-source state: an LRU map whose entries also expire. Every map the discovery layer
// keys by a remote address or id is one of these (or, for request budgets, core's
// KeyedTokenBuckets), so a flood from many addresses evicts the oldest entries instead of growing
// memory.

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
