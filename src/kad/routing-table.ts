// The routing table: 256 k-buckets by shared-prefix length with our id, each in LRU order
// (least recently seen first) with a small replacement cache, plus per-/24 limits for public
// addresses so one network cannot fill our view.
import { toHex } from '../crypto/index.js';

export const K = 20;
export const REPLACEMENTS = 8;
export const ID_BITS = 256;

export interface Contact {
  id: Uint8Array;
  idHex: string;
  host: string;
  port: number;
  lastSeen: number;
}

export interface Limits24 {
  perBucket: number;
  perTable: number;
}

export function sharedPrefixLength(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const x = a[i]! ^ b[i]!;
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return ID_BITS;
}

/** Compares the XOR distances of a and b to target: negative when a is closer. */
export function compareDistance(target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const da = a[i]! ^ target[i]!;
    const db = b[i]! ^ target[i]!;
    if (da !== db) return da - db;
  }
  return 0;
}

export function isPublicIPv4(host: string): boolean {
  return !/^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|0\.)/.test(host);
}

const subnet24 = (host: string): string => host.split('.').slice(0, 3).join('.');

interface Bucket {
  entries: Contact[]; // index 0 = least recently seen
  replacements: Contact[];
  touched: number;
}

export type UpdateResult = { status: 'added' | 'updated' | 'rejected' } | { status: 'full'; oldest: Contact };

export class RoutingTable {
  private readonly buckets: Bucket[] = [];
  private readonly index = new Map<string, number>(); // idHex -> bucket

  constructor(readonly self: Uint8Array, private readonly limits: Limits24 = { perBucket: 2, perTable: 10 }, private readonly k = K) {
    for (let i = 0; i <= ID_BITS; i++) this.buckets.push({ entries: [], replacements: [], touched: 0 });
  }

  get size(): number {
    return this.index.size;
  }

  bucketIndex(id: Uint8Array): number {
    return Math.min(sharedPrefixLength(this.self, id), ID_BITS - 1);
  }

  has(idHex: string): boolean {
    return this.index.has(idHex);
  }

  get(idHex: string): Contact | undefined {
    const b = this.index.get(idHex);
    return b === undefined ? undefined : this.buckets[b]!.entries.find((c) => c.idHex === idHex);
  }

  /**
   * A verified contact was seen: move it to the tail, or add it, or (bucket full) park it in the
   * replacement cache and report the least-recently-seen entry for a ping-before-evict.
   */
  update(c: Omit<Contact, 'idHex'> & { idHex?: string }, now: number): UpdateResult {
    const idHex = c.idHex ?? toHex(c.id);
    if (idHex === toHex(this.self)) return { status: 'rejected' };
    const bi = this.bucketIndex(c.id);
    const b = this.buckets[bi]!;
    b.touched = now;
    const at = b.entries.findIndex((e) => e.idHex === idHex);
    if (at >= 0) {
      const [e] = b.entries.splice(at, 1);
      e!.lastSeen = now;
      e!.host = c.host;
      e!.port = c.port;
      b.entries.push(e!);
      return { status: 'updated' };
    }
    const contact: Contact = { id: c.id, idHex, host: c.host, port: c.port, lastSeen: now };
    if (isPublicIPv4(c.host)) {
      const net = subnet24(c.host);
      if (b.entries.filter((e) => isPublicIPv4(e.host) && subnet24(e.host) === net).length >= this.limits.perBucket) return { status: 'rejected' };
      let inTable = 0;
      for (const bk of this.buckets) for (const e of bk.entries) if (isPublicIPv4(e.host) && subnet24(e.host) === net) inTable++;
      if (inTable >= this.limits.perTable) return { status: 'rejected' };
    }
    if (b.entries.length < this.k) {
      b.entries.push(contact);
      this.index.set(idHex, bi);
      return { status: 'added' };
    }
    b.replacements = b.replacements.filter((r) => r.idHex !== idHex);
    b.replacements.push(contact);
    if (b.replacements.length > REPLACEMENTS) b.replacements.shift();
    return { status: 'full', oldest: b.entries[0]! };
  }

  /** Simulation set-up only: place a contact in its bucket if there is room, skipping LRU and limits. */
  seed(c: Contact): boolean {
    const bi = this.bucketIndex(c.id);
    const b = this.buckets[bi]!;
    if (b.entries.length >= this.k || this.index.has(c.idHex) || c.idHex === toHex(this.self)) return false;
    b.entries.push(c);
    this.index.set(c.idHex, bi);
    return true;
  }

  /** A contact failed to answer: drop it and promote the freshest replacement. */
  remove(idHex: string): void {
    const bi = this.index.get(idHex);
    if (bi === undefined) return;
    const b = this.buckets[bi]!;
    b.entries = b.entries.filter((e) => e.idHex !== idHex);
    this.index.delete(idHex);
    const rep = b.replacements.pop();
    if (rep) {
      b.entries.push(rep);
      this.index.set(rep.idHex, bi);
    }
  }

  /**
   * The n contacts closest to target. Buckets order distances: the target's own bucket holds the
   * closest, then all deeper buckets, then shallower ones from deep to shallow; only the buckets
   * needed are sorted.
   */
  closest(target: Uint8Array, n = this.k): Contact[] {
    const i = this.bucketIndex(target);
    const byDistance = (a: Contact, b: Contact): number => compareDistance(target, a.id, b.id);
    const out: Contact[] = [...this.buckets[i]!.entries].sort(byDistance);
    if (out.length >= n) return out.slice(0, n);
    const deeper: Contact[] = [];
    for (let j = i + 1; j <= ID_BITS; j++) for (const e of this.buckets[j]!.entries) deeper.push(e);
    out.push(...deeper.sort(byDistance));
    for (let j = i - 1; j >= 0 && out.length < n; j--) {
      const b = this.buckets[j]!.entries;
      if (b.length) out.push(...[...b].sort(byDistance));
    }
    return out.slice(0, n);
  }

  entries(): (Contact & { bucket: number })[] {
    const out: (Contact & { bucket: number })[] = [];
    this.buckets.forEach((b, i) => b.entries.forEach((e) => out.push({ ...e, bucket: i })));
    return out;
  }

  /** Entry count per bucket index (shared-prefix length), up to the deepest non-empty bucket. */
  bucketFill(): number[] {
    let last = -1;
    this.buckets.forEach((b, i) => { if (b.entries.length) last = i; });
    return this.buckets.slice(0, last + 1).map((b) => b.entries.length);
  }

  /** Buckets (up to the deepest in use, plus one) not touched since `before`. */
  staleBuckets(before: number): number[] {
    const fill = this.bucketFill();
    const out: number[] = [];
    for (let i = 0; i <= Math.min(fill.length, ID_BITS - 1); i++) if (this.buckets[i]!.touched < before) out.push(i);
    return out;
  }

  touch(bucket: number, now: number): void {
    this.buckets[bucket]!.touched = now;
  }
}

/** A random id whose shared prefix with `self` is exactly `bucket` bits (for bucket refresh). */
export function randomIdInBucket(self: Uint8Array, bucket: number, random: () => number): Uint8Array {
  const id = Uint8Array.from({ length: 32 }, () => Math.floor(random() * 256));
  for (let bit = 0; bit <= bucket && bit < ID_BITS; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    const want = bit < bucket ? self[byte]! & mask : ~self[byte]! & mask;
    id[byte] = (id[byte]! & ~mask) | (want & mask);
  }
  return id;
}
