// Transfers whose signatures already verified (Bitcoin Core's signature cache). A tx id commits to
// every signed field, the signature and the chain id, so a hit is as good as verifying again. The
// mempool fills it on admission, so a block of already-relayed txs skips their signatures.
//
// Every block tx is asked for and remembered, so the set is built for that rate: the ids sit in one
// byte array (a ring: the oldest slot is the next one overwritten) under an open-addressing table
// of slot numbers, so an entry costs no object, string or hex formatting, and the garbage
// collector has nothing to trace (a Set of 100,000 hex ids held ~12 MB of strings). Lookups hash
// two words of the id under a per-process random key and always compare all 32 bytes: a collision
// costs a probe, never a false hit, and ids ground to collide cannot be aimed without the key.
import { randomBytes } from 'node:crypto';
import { txId, type TransferTx } from '../core/index.js';

const ID = 32;

export class VerifiedSignatures {
  /** Slot s holds an id at [s*32, s*32+32). */
  private readonly ids: Uint8Array;
  /** Open addressing, linear probing: slot + 1, or 0 for empty. At most half full. */
  private readonly table: Int32Array;
  private readonly mask: number;
  private readonly key0: number;
  private readonly key1: number;
  /** The slot the next id is written to: when full, the oldest entry's. */
  private next = 0;
  private count = 0;

  constructor(private readonly max = 100_000) {
    if (!(max >= 1) || !Number.isInteger(max)) throw new RangeError(`expected max >= 1, got ${max}`);
    if (max > 1 << 24) throw new RangeError(`expected max <= 2^24, got ${max}`);
    this.ids = new Uint8Array(max * ID);
    let cap = 8;
    while (cap < max * 2) cap *= 2;
    this.table = new Int32Array(cap);
    this.mask = cap - 1;
    const k = randomBytes(8);
    this.key0 = k.readInt32LE(0);
    this.key1 = k.readInt32LE(4);
  }

  /** Lookups that found a transfer already verified (the work this cache saved). */
  hits = 0;

  get size(): number {
    return this.count;
  }

  has(tx: TransferTx): boolean {
    const hit = this.find(txId(tx), 0) >= 0;
    if (hit) this.hits++;
    return hit;
  }

  /** Only for a transfer whose signature was verified against its own signing bytes. */
  add(tx: TransferTx): void {
    const id = txId(tx);
    if (this.find(id, 0) >= 0) return;
    const slot = this.next;
    if (this.count === this.max) this.remove(this.find(this.ids, slot * ID));
    else this.count++;
    this.ids.set(id, slot * ID);
    let i = this.home(this.ids, slot * ID);
    while (this.table[i] !== 0) i = (i + 1) & this.mask;
    this.table[i] = slot + 1;
    this.next = slot + 1 === this.max ? 0 : slot + 1;
  }

  /** Table position of the id at src[at..at+32), or -1. */
  private find(src: Uint8Array, at: number): number {
    for (let i = this.home(src, at); ; i = (i + 1) & this.mask) {
      const e = this.table[i]!;
      if (e === 0) return -1;
      if (this.equalAt(e - 1, src, at)) return i;
    }
  }

  /** Empties table position `i`, moving later entries of its probe run back (no tombstones). */
  private remove(i: number): void {
    const mask = this.mask;
    this.table[i] = 0;
    for (let j = (i + 1) & mask; this.table[j] !== 0; j = (j + 1) & mask) {
      const e = this.table[j]!;
      const home = this.home(this.ids, (e - 1) * ID);
      // The entry at j may move to the hole at i unless its home lies cyclically in (i, j].
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (stays) continue;
      this.table[i] = e;
      this.table[j] = 0;
      i = j;
    }
  }

  private home(src: Uint8Array, at: number): number {
    const a = (src[at]! | (src[at + 1]! << 8) | (src[at + 2]! << 16) | (src[at + 3]! << 24)) ^ this.key0;
    const b = (src[at + 4]! | (src[at + 5]! << 8) | (src[at + 6]! << 16) | (src[at + 7]! << 24)) ^ this.key1;
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b ^ (a >>> 15), 0x85ebca77);
    h ^= h >>> 16;
    return h & this.mask;
  }

  private equalAt(slot: number, src: Uint8Array, at: number): boolean {
    const ids = this.ids;
    const o = slot * ID;
    for (let k = 0; k < ID; k++) if (ids[o + k] !== src[at + k]) return false;
    return true;
  }
}
