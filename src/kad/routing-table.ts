// The routing table: 256 k-buckets by shared-prefix length with our id, each in LRU order (least
// recently seen first) with a small replacement cache of contacts that bonded themselves. Evidence
// about an entry counts only when it comes from that entry's own address; it leaves only after
// repeated failures. Per-subnet limits (/24 IPv4, /48 IPv6, public addresses only) count entries,
// replacements and moves alike, and one endpoint holds one entry in any range.
import { toHex } from '../crypto/index.js';
import { ipClass, subnetKey } from './addr.js';

export const K = 20;
export const REPLACEMENTS = 8;
export const ID_BITS = 256;
/**
 * A full bucket's least-recently-seen entry verified live this recently is not pinged before a
 * newcomer is parked in the replacement cache: it has just proved itself (BEP 5 keeps "good" nodes
 * without a ping; revalidation checks it again in due course).
 */
export const EVICT_PING_AFTER_MS = 10_000;
/** Failed exchanges (each already retried) after which an entry leaves (geth: 5). */
export const MAX_FAILURES = 5;

export interface Contact {
  id: Uint8Array;
  idHex: string;
  host: string;
  port: number;
  /** Last time we heard from it (any verified packet). */
  lastSeen: number;
}

export interface Entry extends Contact {
  /** The id's first four bytes as an unsigned int: sorts by distance without touching the id bytes. */
  head: number;
  /** Last time it answered our PING (0: never, e.g. loaded from disk). */
  verifiedAt: number;
  addedAt: number;
  failures: number;
  /** Revalidations passed: 0 marks a new entry (checked sooner). */
  checks: number;
}

export interface SubnetLimits {
  perBucket: number;
  perTable: number;
}

/** The first four bytes of an id (or a key) as an unsigned 32-bit int. */
export function idHead(id: Uint8Array): number {
  return ((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) >>> 0;
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
  // The first four bytes settle nearly every comparison: one 32-bit step before the byte loop.
  const t0 = ((target[0]! << 24) | (target[1]! << 16) | (target[2]! << 8) | target[3]!) >>> 0;
  const da0 = (((a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!) ^ t0) >>> 0;
  const db0 = (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) ^ t0) >>> 0;
  if (da0 !== db0) return da0 < db0 ? -1 : 1;
  for (let i = 4; i < 32; i++) {
    const da = a[i]! ^ target[i]!;
    const db = b[i]! ^ target[i]!;
    if (da !== db) return da - db;
  }
  return 0;
}

interface Bucket {
  entries: Entry[]; // index 0 = least recently seen
  replacements: Entry[]; // last = freshest
  touched: number;
}

export type UpdateResult = { status: 'added' | 'updated' | 'rejected' | 'replacement' } | { status: 'full'; oldest: Entry };
// The outcomes that carry nothing but their status: one shared object each (update runs per verified packet).
const REJECTED: UpdateResult = Object.freeze({ status: 'rejected' });
const ADDED: UpdateResult = Object.freeze({ status: 'added' });
const UPDATED: UpdateResult = Object.freeze({ status: 'updated' });

const endpointKey = (host: string, port: number): string => `${host}|${port}`;
/** Entries a run sorted by number may hold (closest; a larger run takes the comparator sort). */
const RUN_SLOTS = 8192;
const SORT_KEYS = new Float64Array(RUN_SLOTS);
const SORT_RUN: Entry[] = [];

export class RoutingTable {
  /**
   * Made on first use: a table holds entries in a few buckets (a 150-node network fills about 8),
   * and 257 empty buckets of three objects each, in every table, were 5.8 MB of a 150-node
   * process's heap for the collector to walk.
   */
  private readonly buckets: (Bucket | undefined)[] = new Array<Bucket | undefined>(ID_BITS + 1).fill(undefined);
  /** No bucket deeper than this has ever held an entry (a bound for the scans, never lowered). */
  private deepest = -1;
  private readonly index = new Map<string, number>(); // idHex -> bucket (entries only)
  /** Public subnet -> entries + replacements in the whole table. */
  private readonly subnets = new Map<string, number>();
  /** Endpoint -> idHex of the entry or replacement that holds it. */
  private readonly endpoints = new Map<string, string>();
  private readonly selfHex: string;

  constructor(readonly self: Uint8Array, private readonly limits: SubnetLimits = { perBucket: 2, perTable: 10 }, private readonly k = K) {
    this.selfHex = toHex(self);
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

  get(idHex: string): Entry | undefined {
    const b = this.index.get(idHex);
    return b === undefined ? undefined : this.buckets[b]!.entries.find((c) => c.idHex === idHex);
  }

  private bucket(i: number): Bucket {
    let b = this.buckets[i];
    if (b === undefined) {
      b = { entries: [], replacements: [], touched: 0 };
      this.buckets[i] = b;
      if (i > this.deepest) this.deepest = i;
    }
    return b;
  }

  private countSubnet(host: string, delta: number): void {
    if (ipClass(host) !== 'public') return;
    const s = subnetKey(host);
    const n = (this.subnets.get(s) ?? 0) + delta;
    if (n <= 0) this.subnets.delete(s);
    else this.subnets.set(s, n);
  }

  /** Would `host` fit bucket `bi`'s and the table's subnet limits (ignoring contact `exceptId`)? */
  private fits(host: string, bi: number, exceptId?: string): boolean {
    if (ipClass(host) !== 'public') return true;
    const s = subnetKey(host);
    const b = this.bucket(bi);
    const same = (e: Entry): boolean => e.idHex !== exceptId && ipClass(e.host) === 'public' && subnetKey(e.host) === s;
    if (b.entries.filter(same).length + b.replacements.filter(same).length >= this.limits.perBucket) return false;
    let inTable = this.subnets.get(s) ?? 0;
    if (exceptId) {
      const old = this.get(exceptId) ?? b.replacements.find((r) => r.idHex === exceptId);
      if (old && ipClass(old.host) === 'public' && subnetKey(old.host) === s) inTable--;
    }
    return inTable < this.limits.perTable;
  }

  private holdEndpoint(c: Entry): void {
    this.endpoints.set(endpointKey(c.host, c.port), c.idHex);
    this.countSubnet(c.host, 1);
  }
  private releaseEndpoint(c: Entry): void {
    const k = endpointKey(c.host, c.port);
    if (this.endpoints.get(k) === c.idHex) this.endpoints.delete(k);
    this.countSubnet(c.host, -1);
  }

  /**
   * A contact proved itself (it answered our PING, or pinged us from an endpoint we verified):
   * refresh it, add it, or (bucket full) park it in the replacement cache and report the
   * least-recently-seen entry for a ping-before-evict.
   */
  update(c: { id: Uint8Array; idHex?: string; host: string; port: number }, now: number, verified = true): UpdateResult {
    const idHex = c.idHex ?? toHex(c.id);
    if (idHex === this.selfHex) return REJECTED;
    const bi = this.bucketIndex(c.id);
    const b = this.bucket(bi);
    // The common case first: a known entry heard from at its own address (it holds that endpoint).
    const at = this.index.get(idHex) === bi ? b.entries.findIndex((e) => e.idHex === idHex) : -1;
    if (at >= 0 && b.entries[at]!.host === c.host && b.entries[at]!.port === c.port) return this.refresh(b, at, now, verified);
    const holder = this.endpoints.get(endpointKey(c.host, c.port));
    if (holder !== undefined && holder !== idHex) return REJECTED; // one endpoint, one id
    if (at >= 0) {
      const e = b.entries[at]!;
      if (e.host !== c.host || e.port !== c.port) {
        // A move: the new address must fit the limits as if it were new.
        if (!this.fits(c.host, bi, idHex)) return REJECTED;
        this.releaseEndpoint(e);
        e.host = c.host;
        e.port = c.port;
        this.holdEndpoint(e);
      }
      return this.refresh(b, at, now, verified);
    }
    const ri = b.replacements.findIndex((r) => r.idHex === idHex);
    if (ri >= 0) {
      const [old] = b.replacements.splice(ri, 1);
      this.releaseEndpoint(old!);
    }
    if (!this.fits(c.host, bi)) return REJECTED;
    const entry: Entry = { id: c.id, idHex, head: idHead(c.id), host: c.host, port: c.port, lastSeen: now, verifiedAt: verified ? now : 0, addedAt: now, failures: 0, checks: 0 };
    b.touched = now;
    if (b.entries.length < this.k) {
      b.entries.push(entry);
      this.index.set(idHex, bi);
      this.holdEndpoint(entry);
      return ADDED;
    }
    b.replacements.push(entry);
    this.holdEndpoint(entry);
    if (b.replacements.length > REPLACEMENTS) this.releaseEndpoint(b.replacements.shift()!);
    return { status: 'full', oldest: b.entries[0]! };
  }

  /** Heard from: most recently seen (moved to the bucket's end), and verified when it answered us. */
  private refresh(b: Bucket, at: number, now: number, verified: boolean): UpdateResult {
    const e = b.entries[at]!;
    if (at !== b.entries.length - 1) {
      b.entries.splice(at, 1);
      b.entries.push(e);
    }
    e.lastSeen = now;
    if (verified) {
      e.verifiedAt = now;
      e.failures = 0;
    }
    b.touched = now;
    return UPDATED;
  }

  /** Simulation set-up only: place a contact in its bucket if there is room, skipping LRU and limits. */
  seed(c: Contact): boolean {
    const bi = this.bucketIndex(c.id);
    const b = this.bucket(bi);
    if (b.entries.length >= this.k || this.index.has(c.idHex) || c.idHex === this.selfHex) return false;
    const e: Entry = { ...c, head: idHead(c.id), verifiedAt: c.lastSeen, addedAt: c.lastSeen, failures: 0, checks: 1 };
    b.entries.push(e);
    this.index.set(c.idHex, bi);
    this.holdEndpoint(e);
    return true;
  }

  /**
   * An exchange with (id, host, port) failed after its retries. It counts only when that is the
   * entry's own address (a third party's claim about an id proves nothing about the entry).
   * Reports whether the entry was removed and which replacement took its slot.
   */
  failed(idHex: string, host: string, port: number, maxFailures = MAX_FAILURES): { removed: boolean; promoted?: Entry } {
    const e = this.get(idHex);
    if (!e || e.host !== host || e.port !== port) return { removed: false };
    e.failures++;
    if (e.failures < maxFailures) return { removed: false };
    return { removed: true, promoted: this.remove(idHex) };
  }

  /** Drops an entry and promotes the freshest replacement that still fits the limits. */
  remove(idHex: string): Entry | undefined {
    const bi = this.index.get(idHex);
    if (bi === undefined) return undefined;
    const b = this.buckets[bi]!;
    const at = b.entries.findIndex((e) => e.idHex === idHex);
    const [gone] = b.entries.splice(at, 1);
    this.index.delete(idHex);
    this.releaseEndpoint(gone!);
    while (b.replacements.length) {
      const rep = b.replacements.pop()!;
      this.releaseEndpoint(rep);
      if (!this.fits(rep.host, bi)) continue;
      b.entries.push(rep);
      this.index.set(rep.idHex, bi);
      this.holdEndpoint(rep);
      return rep;
    }
    return undefined;
  }

  /**
   * The n contacts closest to target, optionally only those passing `accept`. Buckets order
   * distances: the target's own bucket holds the closest, then all deeper buckets, then shallower
   * ones from deep to shallow; only the buckets needed are sorted.
   */
  closest(target: Uint8Array, n = this.k, accept?: (e: Entry) => boolean): Entry[] {
    const i = this.bucketIndex(target);
    // Each run is sorted by the ids' first 32 bits XOR the target's, as numbers (a native typed-array
    // sort, no comparator calls); entries whose first 32 bits tie are settled by the full comparison.
    const th = idHead(target);
    const out: Entry[] = [];
    const take = (list: Entry[]): void => {
      for (let x = 0; x < list.length; x++) if (!accept || accept(list[x]!)) out.push(list[x]!);
    };
    const sortFrom = (from: number): void => {
      const len = out.length - from;
      if (len < 2) return;
      if (len > RUN_SLOTS) {
        const rest = out.splice(from).sort((a, b) => compareDistance(target, a.id, b.id));
        for (const e of rest) out.push(e);
        return;
      }
      // Scratch space shared by every table (closest runs to completion, nothing re-enters it).
      const keys = SORT_KEYS.subarray(0, len);
      // Distance head * 2^13 + position: exact in a double (below 2^45).
      for (let x = 0; x < len; x++) keys[x] = ((out[from + x]!.head ^ th) >>> 0) * RUN_SLOTS + x;
      keys.sort();
      const run = SORT_RUN;
      run.length = 0;
      for (let x = 0; x < len; x++) run.push(out[from + x]!);
      for (let x = 0; x < len; x++) {
        const e = run[keys[x]! % RUN_SLOTS]!;
        let y = from + x;
        // Ties on the first 32 bits (rare): insertion by the full distance.
        while (y > from && out[y - 1]!.head === e.head && compareDistance(target, out[y - 1]!.id, e.id) > 0) {
          out[y] = out[y - 1]!;
          y--;
        }
        out[y] = e;
      }
      run.length = 0; // holds no entry past the call
    };
    const own = this.buckets[i];
    if (own) take(own.entries);
    sortFrom(0);
    if (out.length >= n) return out.slice(0, n);
    const deeperFrom = out.length;
    for (let j = i + 1; j <= this.deepest; j++) {
      const b = this.buckets[j];
      if (b?.entries.length) take(b.entries);
    }
    sortFrom(deeperFrom);
    for (let j = Math.min(i - 1, this.deepest); j >= 0 && out.length < n; j--) {
      const from = out.length;
      const b = this.buckets[j];
      if (b?.entries.length) take(b.entries);
      sortFrom(from);
    }
    if (out.length > n) out.length = n;
    return out;
  }

  entries(): (Entry & { bucket: number })[] {
    const out: (Entry & { bucket: number })[] = [];
    this.buckets.forEach((b, i) => b?.entries.forEach((e) => out.push({ ...e, bucket: i })));
    return out;
  }

  replacementCount(): number {
    return this.buckets.reduce((n, b) => n + (b?.replacements.length ?? 0), 0);
  }

  /** Entry count per bucket index (shared-prefix length), up to the deepest non-empty bucket. */
  bucketFill(): number[] {
    let last = -1;
    this.buckets.forEach((b, i) => { if (b?.entries.length) last = i; });
    return this.buckets.slice(0, last + 1).map((b) => b?.entries.length ?? 0);
  }

  /** Buckets (up to the deepest in use, plus one) not touched since `before`. */
  staleBuckets(before: number): number[] {
    const fill = this.bucketFill();
    const out: number[] = [];
    for (let i = 0; i <= Math.min(fill.length, ID_BITS - 1); i++) if ((this.buckets[i]?.touched ?? 0) < before) out.push(i);
    return out;
  }

  touch(bucket: number, now: number): void {
    this.bucket(bucket).touched = now;
  }

  /**
   * The entry due for revalidation, or undefined: only entries not verified for `minAgeMs` are due
   * (an entry that answered a PING or a FIND_NODE seconds ago has just proved itself), and a new
   * entry that answered at least `minAgeMs` after it was added counts as checked. New entries
   * (never re-checked): a random one of those due, so a node every table learned at once (a
   * bootstrap) is not pinged by all of them in the same few seconds. Settled: the least recently verified.
   */
  nextToRevalidate(newOnly: boolean, now = Infinity, minAgeMs = 0, random: () => number = Math.random): Entry | undefined {
    let best: Entry | undefined;
    const due: Entry[] = [];
    for (const b of this.buckets) {
      if (b === undefined) continue;
      for (const e of b.entries) {
        // A new entry that answered us at least minAgeMs after it was added has passed the check a
        // revalidation PING would make (it is due with the settled ones from then on).
        if ((newOnly && (e.checks > 0 || e.verifiedAt - e.addedAt >= minAgeMs)) || now - e.verifiedAt < minAgeMs) continue;
        if (newOnly) due.push(e);
        else if (!best || e.verifiedAt < best.verifiedAt) best = e;
      }
    }
    return newOnly ? due[Math.floor(random() * due.length)] : best;
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
