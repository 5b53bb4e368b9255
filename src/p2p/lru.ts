// Bounded "seen" sets. Every per-peer and global memory of ids is one of these, so what a hostile
// peer can make us remember is capped by construction.
import { toHex } from '../crypto/index.js';

/** Bounded set in recency order: adding past `max` forgets the least recently added/touched key. */
export class LruSet {
  private readonly items = new Set<string>();
  constructor(readonly max: number) {}
  has(k: string): boolean {
    return this.items.has(k);
  }
  add(k: string): void {
    this.items.delete(k);
    this.items.add(k);
    if (this.items.size > this.max) this.items.delete(this.items.values().next().value!);
  }
  delete(k: string): boolean {
    return this.items.delete(k);
  }
  clear(): void {
    this.items.clear();
  }
  get size(): number {
    return this.items.size;
  }
}

/**
 * Compact key for a 32-byte id, given as bytes or as 64-char hex: the first 128 bits in hex. Half
 * the memory of the full hex string, and a collision needs ~2^64 ids, which no LRU here will see.
 */
export function idKey(id: Uint8Array | string): string {
  return typeof id === 'string' ? id.slice(0, 32).toLowerCase() : toHex(id.subarray(0, 16));
}
