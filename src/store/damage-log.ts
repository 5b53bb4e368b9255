// Damage the store's readers found at run time: every damaged read is counted (the store health
// shows the totals), and each damaged record is remembered in a bounded LRU by key, so the node
// logs it once rather than on every request a peer repeats.

/** Keys remembered; a key that falls out and is read damaged again is logged again, once. */
export const DAMAGE_LOG_CAP = 1024;

export interface DamageCounts {
  /** Damaged reads since start. */
  reads: number;
  /** Damaged records first seen (again only after falling out of the LRU). */
  records: number;
}

export class DamageLog {
  /** key -> reads; Map order is recency (oldest first). */
  private readonly seen = new Map<string, number>();
  private reads = 0;
  private records = 0;

  constructor(readonly cap: number = DAMAGE_LOG_CAP) {}

  /** Counts one damaged read of `key`; true when it is new (log it), false when already logged. */
  note(key: string): boolean {
    this.reads++;
    const n = this.seen.get(key);
    if (n !== undefined) {
      this.seen.delete(key);
      this.seen.set(key, n + 1);
      return false;
    }
    this.records++;
    this.seen.set(key, 1);
    if (this.seen.size > this.cap) this.seen.delete(this.seen.keys().next().value!);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  counts(): DamageCounts {
    return { reads: this.reads, records: this.records };
  }
}
