// Orphan blocks (parent unknown): a pool bounded by count, bytes, age and per source, indexed by
// parent so a newly stored block releases its waiting children. Admission needs valid work and a
// body that matches the header's merkle root (checked by the caller).
//
// Eviction: expired orphans go first; a source at its per-source cap evicts its own oldest; a full
// pool evicts the oldest orphan of the source that holds the most. One peer can therefore fill at
// most its own share and never push out another peer's orphans.
//
// Ages are on the monotonic clock (the caller's `now`): a wall-clock step must neither expire every
// orphan at once nor keep them an hour past their time.
import { blockId, type Block } from '../core/index.js';
import { toHex } from '../crypto/index.js';
import { oldestOfLargest } from './held-blocks.js';

export interface OrphanLimits {
  maxCount: number;
  maxBytes: number;
  ttlMs: number;
  /** Orphans one source may have in the pool. */
  maxPerSource: number;
}

export const DEFAULT_ORPHAN_LIMITS: OrphanLimits = { maxCount: 100, maxBytes: 32 * 1024 * 1024, ttlMs: 60 * 60 * 1000, maxPerSource: 20 };

interface Orphan {
  block: Block;
  idHex: string;
  parentHex: string;
  source: string;
  size: number;
  addedAt: number;
}

export class OrphanPool {
  private readonly byId = new Map<string, Orphan>(); // insertion order = age
  private readonly byParent = new Map<string, Set<string>>();
  private readonly perSource = new Map<string, number>();
  private bytes = 0;
  private readonly limits: OrphanLimits;

  constructor(limits: Partial<OrphanLimits> = {}) {
    this.limits = { ...DEFAULT_ORPHAN_LIMITS, ...limits };
  }

  get size(): number {
    return this.byId.size;
  }
  get totalBytes(): number {
    return this.bytes;
  }
  /** Held and not expired at `now` (the expired ones leave first: a stale orphan is not "known"). */
  has(idHex: string, now: number): boolean {
    this.expire(now);
    return this.byId.has(idHex);
  }
  countFrom(source: string): number {
    return this.perSource.get(source) ?? 0;
  }

  add(block: Block, size: number, now: number, source = ''): void {
    const idHex = toHex(blockId(block));
    this.expire(now);
    if (this.byId.has(idHex) || size > this.limits.maxBytes) return;
    if (this.countFrom(source) >= this.limits.maxPerSource) {
      for (const o of this.byId.values()) if (o.source === source) { this.remove(o.idHex); break; }
    }
    while (this.byId.size >= this.limits.maxCount || this.bytes + size > this.limits.maxBytes) {
      if (this.byId.size === 0) break;
      this.remove(oldestOfLargest(this.byId.values()));
    }
    const parentHex = toHex(block.header.prevHash);
    this.byId.set(idHex, { block, idHex, parentHex, source, size, addedAt: now });
    this.perSource.set(source, this.countFrom(source) + 1);
    this.bytes += size;
    let kids = this.byParent.get(parentHex);
    if (!kids) this.byParent.set(parentHex, (kids = new Set()));
    kids.add(idHex);
  }

  /** Removes and returns the orphans waiting for this parent, with who sent them. */
  takeChildren(parentHex: string): { block: Block; source: string }[] {
    const kids = this.byParent.get(parentHex);
    if (!kids) return [];
    const out: { block: Block; source: string }[] = [];
    for (const k of [...kids]) {
      const o = this.byId.get(k);
      if (o) out.push({ block: o.block, source: o.source });
      this.remove(k);
    }
    return out;
  }

  /** The missing ancestor id that would let this orphan (and its pool ancestors) connect. */
  missingRoot(idHex: string): string | undefined {
    let cur = this.byId.get(idHex);
    if (!cur) return undefined;
    for (let i = 0; i <= this.byId.size && cur; i++) {
      const parent: Orphan | undefined = this.byId.get(cur.parentHex);
      if (!parent) return cur.parentHex;
      cur = parent;
    }
    return undefined;
  }

  expire(now: number): void {
    for (const o of this.byId.values()) {
      if (now - o.addedAt < this.limits.ttlMs) break;
      this.remove(o.idHex);
    }
  }

  private remove(idHex: string): void {
    const o = this.byId.get(idHex);
    if (!o) return;
    this.byId.delete(idHex);
    this.bytes -= o.size;
    const n = this.countFrom(o.source) - 1;
    if (n > 0) this.perSource.set(o.source, n);
    else this.perSource.delete(o.source);
    const kids = this.byParent.get(o.parentHex);
    kids?.delete(idHex);
    if (kids && kids.size === 0) this.byParent.delete(o.parentHex);
  }
}
