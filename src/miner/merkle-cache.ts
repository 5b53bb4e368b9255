// Incremental merkle root for block templates (getblocktemplate is incremental in Bitcoin Core for
// the same reason): consecutive templates share most of their transaction list, and a new coinbase
// only changes the leftmost path. The tree of the previous template is kept and only nodes with a
// changed descendant are hashed again: log2(n) hashes for a new coinbase instead of n.
//
// Leaves and inner nodes are hashed by core's own merkleLeaf / merkleNode; only the tree walk is
// ours. `compatible` checks once that the walk (odd node carried up) still equals core's merkleRoot;
// a mismatch falls back to core's merkleRoot, never a wrong root.
import { merkleRoot, merkleLeaf, merkleNode } from '../core/index.js';
import { sha256d, bytesEqual } from '../crypto/index.js';

const leafHash = merkleLeaf;
const nodeHash = merkleNode;

let compatibleWithCore: boolean | undefined;

export class IncrementalMerkle {
  private ids: Uint8Array[] = [];
  /** levels[0]: leaf hashes; the last level holds the root. */
  private levels: Uint8Array[][] = [];
  /** Hashes computed by the last call (for the bench and tests). */
  lastHashes = 0;

  /** True when this cache hashes exactly as core's merkleRoot does (checked once per process). */
  static get compatible(): boolean {
    if (compatibleWithCore === undefined) {
      const ids = Array.from({ length: 7 }, (_, i) => sha256d(Uint8Array.of(i)));
      const m = new IncrementalMerkle();
      compatibleWithCore = [1, 2, 3, 5, 7].every((n) => bytesEqual(m.rootUnchecked(ids.slice(0, n)), merkleRoot(ids.slice(0, n))));
    }
    return compatibleWithCore;
  }

  root(ids: Uint8Array[]): Uint8Array {
    if (!IncrementalMerkle.compatible) {
      this.lastHashes = 2 * ids.length;
      return merkleRoot(ids);
    }
    return this.rootUnchecked(ids);
  }

  private rootUnchecked(ids: Uint8Array[]): Uint8Array {
    this.lastHashes = 0;
    if (!ids.length) {
      this.ids = [];
      this.levels = [];
      return new Uint8Array(32);
    }
    const oldIds = this.ids;
    const oldLeaves = this.levels[0] ?? [];
    let dirty = new Uint8Array(ids.length);
    const leaves: Uint8Array[] = new Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const same = i < oldIds.length && (oldIds[i] === ids[i] || bytesEqual(oldIds[i]!, ids[i]!));
      if (same) leaves[i] = oldLeaves[i]!;
      else {
        leaves[i] = leafHash(ids[i]!);
        this.lastHashes++;
        dirty[i] = 1;
      }
    }
    const levels: Uint8Array[][] = [leaves];
    let level = leaves;
    let oldChildLen = oldLeaves.length;
    for (let k = 1; level.length > 1; k++) {
      const old = this.levels[k] ?? [];
      const n = Math.ceil(level.length / 2);
      const next: Uint8Array[] = new Array(n);
      const nextDirty = new Uint8Array(n);
      // Near the end of a level whose length changed, a node may switch between pair and carry.
      const stableBelow = Math.min(oldChildLen, level.length) - 1;
      for (let j = 0; j < n; j++) {
        const l = 2 * j;
        const r = l + 1;
        const changed = dirty[l] === 1 || (r < level.length && dirty[r] === 1) || j >= old.length || r >= stableBelow;
        if (!changed) {
          next[j] = old[j]!;
          continue;
        }
        nextDirty[j] = 1;
        if (r < level.length) {
          next[j] = nodeHash(level[l]!, level[r]!);
          this.lastHashes++;
        } else next[j] = level[l]!;
      }
      oldChildLen = old.length;
      levels.push(next);
      level = next;
      dirty = nextDirty;
    }
    this.ids = ids;
    this.levels = levels;
    return level[0]!;
  }
}
