// Orphan blocks (parent unknown): a pool bounded by count, bytes and age, indexed by parent so a
// newly stored block releases its waiting children.
import { blockId, type Block } from '../core/index.js';
import { toHex } from '../crypto/index.js';

export interface OrphanLimits {
  maxCount: number;
  maxBytes: number;
  ttlMs: number;
}

export const DEFAULT_ORPHAN_LIMITS: OrphanLimits = { maxCount: 100, maxBytes: 32 * 1024 * 1024, ttlMs: 60 * 60 * 1000 };

interface Orphan {
  block: Block;
  idHex: string;
  parentHex: string;
  size: number;
  addedAt: number;
}

export class OrphanPool {
  private readonly byId = new Map<string, Orphan>(); // insertion order = age
  private readonly byParent = new Map<string, Set<string>>();
  private bytes = 0;

  constructor(private readonly limits: OrphanLimits = DEFAULT_ORPHAN_LIMITS) {}

  get size(): number {
    return this.byId.size;
  }
  get totalBytes(): number {
    return this.bytes;
  }
  has(idHex: string): boolean {
    return this.byId.has(idHex);
  }

  add(block: Block, size: number, now: number): void {
    const idHex = toHex(blockId(block));
    if (this.byId.has(idHex) || size > this.limits.maxBytes) return;
    this.expire(now);
    while (this.byId.size >= this.limits.maxCount || this.bytes + size > this.limits.maxBytes) {
      const oldest = this.byId.keys().next().value;
      if (oldest === undefined) break;
      this.remove(oldest);
    }
    const parentHex = toHex(block.header.prevHash);
    this.byId.set(idHex, { block, idHex, parentHex, size, addedAt: now });
    this.bytes += size;
    let kids = this.byParent.get(parentHex);
    if (!kids) this.byParent.set(parentHex, (kids = new Set()));
    kids.add(idHex);
  }

  /** Removes and returns the orphans waiting for this parent. */
  takeChildren(parentHex: string): Block[] {
    const kids = this.byParent.get(parentHex);
    if (!kids) return [];
    const out: Block[] = [];
    for (const k of [...kids]) {
      const o = this.byId.get(k);
      if (o) out.push(o.block);
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
    const kids = this.byParent.get(o.parentHex);
    kids?.delete(idHex);
    if (kids && kids.size === 0) this.byParent.delete(o.parentHex);
  }
}
