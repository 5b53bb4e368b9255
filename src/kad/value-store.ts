// Bounded record store behind STORE and FIND_VALUE: per key, one record per publisher; capped in
// keys, records per key and bytes, and every record expires. A full key keeps the records that
// live longest; a full store drops the least recently written key.

export interface ValueStoreLimits {
  maxKeys: number;
  maxPerKey: number;
  maxBytes: number;
  maxTtlSec: number;
}

export const DEFAULT_VALUE_LIMITS: ValueStoreLimits = { maxKeys: 1024, maxPerKey: 16, maxBytes: 1024 * 1024, maxTtlSec: 3600 };

interface Entry {
  value: Uint8Array;
  expires: number;
}

export class ValueStore {
  private readonly keys = new Map<string, Map<string, Entry>>();
  private bytes = 0;
  private records = 0;
  constructor(readonly limits: ValueStoreLimits = DEFAULT_VALUE_LIMITS) {}

  /** Number of records held (all keys). */
  get size(): number {
    return this.records;
  }
  get keyCount(): number {
    return this.keys.size;
  }
  get totalBytes(): number {
    return this.bytes;
  }

  /** Stores `publisher`'s record under key; false when refused (too big, or it would expire first). */
  put(keyHex: string, publisher: string, value: Uint8Array, ttlSec: number, now: number): boolean {
    if (value.length > this.limits.maxBytes || ttlSec <= 0) return false;
    const expires = now + Math.min(ttlSec, this.limits.maxTtlSec) * 1000;
    let recs = this.keys.get(keyHex);
    if (recs) {
      this.expireKey(keyHex, recs, now);
      this.keys.delete(keyHex); // re-insert below: most recently written key last
    }
    recs ??= new Map();
    this.remove(recs, publisher);
    if (recs.size >= this.limits.maxPerKey) {
      let first: [string, Entry] | undefined;
      for (const e of recs) if (!first || e[1].expires < first[1].expires) first = e;
      if (first && first[1].expires >= expires) {
        if (recs.size) this.keys.set(keyHex, recs);
        return false;
      }
      if (first) this.remove(recs, first[0]);
    }
    this.keys.set(keyHex, recs);
    while (this.keys.size > this.limits.maxKeys || this.bytes + value.length > this.limits.maxBytes) {
      const oldestKey = this.keys.keys().next().value;
      if (oldestKey === undefined || oldestKey === keyHex) break;
      const old = this.keys.get(oldestKey)!;
      for (const p of [...old.keys()]) this.remove(old, p);
      this.keys.delete(oldestKey);
    }
    if (this.bytes + value.length > this.limits.maxBytes) return false;
    recs.set(publisher, { value: Uint8Array.from(value), expires });
    this.bytes += value.length;
    this.records++;
    return true;
  }

  /** The live records under a key, longest-lived first. */
  get(keyHex: string, now: number): Uint8Array[] {
    const recs = this.keys.get(keyHex);
    if (!recs) return [];
    this.expireKey(keyHex, recs, now);
    return [...recs.values()].sort((a, b) => b.expires - a.expires).map((e) => e.value);
  }

  private remove(recs: Map<string, Entry>, publisher: string): void {
    const e = recs.get(publisher);
    if (!e) return;
    recs.delete(publisher);
    this.bytes -= e.value.length;
    this.records--;
  }

  private expireKey(keyHex: string, recs: Map<string, Entry>, now: number): void {
    for (const [p, e] of [...recs]) if (e.expires <= now) this.remove(recs, p);
    if (!recs.size) this.keys.delete(keyHex);
  }
}
