// The half-open budget: inbound connections that have not finished the handshake (a TCP socket
// waiting for its upgrade request, or a WebSocket waiting for the hello and proof) live in their
// own small pool, bounded overall and per source, the oldest evicted first, where age counts from
// a connection's last step forward (accepted, upgraded, hello received). An honest dialler steps
// forward every round trip, so a flood of silent sockets mostly displaces itself.

interface Entry {
  source: string;
  evict: () => void;
}

export class HalfOpenBudget<K> {
  /** Insertion-ordered: the first entry is the oldest. */
  private readonly entries = new Map<K, Entry>();
  private readonly perSource = new Map<string, number>();

  constructor(private readonly max: number, private readonly maxPerSource: number) {}

  get size(): number {
    return this.entries.size;
  }

  has(k: K): boolean {
    return this.entries.has(k);
  }

  /** Admits `k`, evicting its source's oldest while that source is over its cap, then the oldest overall while the pool is. */
  admit(k: K, source: string, evict: () => void): void {
    this.release(k);
    this.entries.set(k, { source, evict });
    this.perSource.set(source, (this.perSource.get(source) ?? 0) + 1);
    while ((this.perSource.get(source) ?? 0) > Math.max(1, this.maxPerSource)) if (!this.evictOldest(k, source)) break;
    while (this.entries.size > Math.max(1, this.max)) if (!this.evictOldest(k)) break;
  }

  /** `k` stepped forward: it becomes the youngest (and, when given, is now evicted differently). */
  advance(k: K, evict?: () => void): void {
    const e = this.entries.get(k);
    if (!e) return;
    this.entries.delete(k);
    this.entries.set(k, evict ? { ...e, evict } : e);
  }

  /** `k` finished its handshake or closed. */
  release(k: K): void {
    const e = this.entries.get(k);
    if (!e) return;
    this.entries.delete(k);
    const n = (this.perSource.get(e.source) ?? 1) - 1;
    if (n > 0) this.perSource.set(e.source, n);
    else this.perSource.delete(e.source);
  }

  /** Evicts everything (shutdown). */
  clear(): void {
    for (const k of [...this.entries.keys()]) this.evictKey(k);
  }

  /** Evicts the entry that stepped forward least recently (within `source` when given). */
  private evictOldest(except: K, source?: string): boolean {
    for (const [k, e] of this.entries) {
      if (k === except || (source !== undefined && e.source !== source)) continue;
      this.evictKey(k);
      return true;
    }
    return false;
  }

  private evictKey(k: K): void {
    const e = this.entries.get(k);
    if (!e) return;
    this.release(k);
    e.evict();
  }
}
