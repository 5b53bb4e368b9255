// The block index as the chain sees it: index records by id through a bounded LRU, main-chain
// membership, ancestors, and the parent context a child is checked against. A pruned side block
// (header kept, body gone) reads as unknown: a peer may send it again like any other block.
// "Do we have it?" for a new child of a block stored while this process ran (the relay's case: a
// new tip's child) is answered from memory, never with a LevelDB miss: such a parent's stored
// children are all known here, since every block is stored through the chain (Core keeps its whole
// block index in memory; this keeps only the recent part, bounded with the entry cache).
import { targetToBigInt, type ChainParams } from '../core/index.js';
import { toHex, bytesEqual } from '../crypto/index.js';
import { BlockStatus, type ChainStore } from '../store/index.js';
import type { ParentContext } from './header-rules.js';
import type { IndexEntry } from './events.js';
import { retargetWindow, retargetTarget, medianTimePast, MEDIAN_TIME_SPAN } from './pow.js';

export class BlockIndex {
  private readonly cache = new Map<string, IndexEntry>();
  /**
   * Parent id -> ids of its stored children, for cached parents stored by this process (so the
   * list is complete). Bounded with the cache: a parent that leaves it takes its list along.
   */
  private readonly children = new Map<string, Set<string>>();
  /** Last parent contexts computed (a block's ancestors never change): the relay asks once per tip. */
  private readonly contexts = new Map<string, ParentContext>();

  constructor(
    private readonly store: ChainStore,
    private readonly params: ChainParams,
    /** Height of the connected tip: nothing above it is on the main chain. */
    private readonly tipHeight: () => number,
    /** Entries kept in memory; memory stays flat however long the chain grows. */
    private readonly cacheSize = 8192,
  ) {}

  async entry(id: Uint8Array): Promise<IndexEntry | undefined> {
    const idHex = toHex(id);
    const hit = this.cache.get(idHex);
    if (hit) {
      this.cache.delete(idHex);
      this.cache.set(idHex, hit);
      return hit;
    }
    const rec = await this.store.getIndex(id);
    if (!rec || rec.status === BlockStatus.Pruned) return undefined;
    const e: IndexEntry = { ...rec, id, idHex };
    this.remember(e);
    return e;
  }

  /** Same as entry(), for ids that the index must hold (a missing one is a broken store). */
  async require(id: Uint8Array, why: string): Promise<IndexEntry> {
    const e = await this.entry(id);
    if (!e) throw new Error(`index broken: ${toHex(id)} missing (${why})`);
    return e;
  }

  remember(e: IndexEntry): void {
    this.cache.delete(e.idHex);
    this.cache.set(e.idHex, e);
    // Whatever path stored it, a block the index hears of joins its parent's list.
    this.children.get(toHex(e.parent))?.add(e.idHex);
    if (this.cache.size > this.cacheSize) {
      const old = this.cache.keys().next().value!;
      this.cache.delete(old);
      this.children.delete(old);
    }
  }

  /**
   * A block this process just stored (its index record written): it starts a complete list of
   * stored children, and joins its parent's list. Every store of a block record must come here
   * (or the parent's list would claim a stored child absent).
   */
  stored(e: IndexEntry): void {
    this.remember(e);
    // Only while cached: a list lives and goes with its parent's entry (a 0-entry cache keeps none).
    if (this.cache.has(e.idHex) && !this.children.has(e.idHex)) this.children.set(e.idHex, new Set());
  }

  /**
   * True when `id` is certainly not in the store: its parent (`parentHex`) was stored by this
   * process and has no stored child `id`. False means "ask the store" (entry()).
   */
  knownAbsent(idHex: string, parentHex: string): boolean {
    const kids = this.children.get(parentHex);
    return kids !== undefined && !kids.has(idHex);
  }

  forget(id: Uint8Array): void {
    // A forgotten (pruned) block stays listed under its parent: a stale "present" only costs a read.
    const k = toHex(id);
    this.cache.delete(k);
    this.children.delete(k);
  }

  async isMain(e: { id: Uint8Array; height: number }): Promise<boolean> {
    if (e.height > this.tipHeight()) return false;
    const m = await this.store.getMainId(e.height);
    return !!m && bytesEqual(m, e.id);
  }

  /** Ancestor of `e` at `height` (main chain shortcut once the branch meets it). */
  async ancestor(e: IndexEntry, height: number): Promise<IndexEntry> {
    let cur = e;
    while (cur.height > height) {
      if (await this.isMain(cur)) {
        const id = await this.store.getMainId(height);
        const a = id && (await this.entry(id));
        if (a) return a;
      }
      cur = await this.require(cur.parent, `parent of ${cur.idHex}`);
    }
    return cur;
  }

  /** Everything a child of `parent` is checked against. */
  async parentContext(parent: IndexEntry): Promise<ParentContext> {
    const memo = this.contexts.get(parent.idHex);
    if (memo) return memo;
    const ctx = Object.freeze(await this.computeContext(parent));
    this.contexts.set(parent.idHex, ctx);
    if (this.contexts.size > 8) this.contexts.delete(this.contexts.keys().next().value!);
    return ctx;
  }

  private async computeContext(parent: IndexEntry): Promise<ParentContext> {
    const stamps: number[] = [];
    let cur: IndexEntry | undefined = parent;
    for (let i = 0; i < MEDIAN_TIME_SPAN && cur; i++) {
      stamps.push(cur.timestamp);
      cur = cur.height > 0 ? await this.entry(cur.parent) : undefined;
    }
    const parentTarget = targetToBigInt(parent.target);
    const window = retargetWindow(parent.height + 1, this.params);
    let expectedTarget = parentTarget;
    if (window) {
      const first = await this.ancestor(parent, window.firstHeight);
      expectedTarget = retargetTarget(this.params, parentTarget, window, first.timestamp, parent.timestamp);
    }
    return { id: parent.id, height: parent.height, expectedTarget, medianTimePast: medianTimePast(stamps) };
  }
}
