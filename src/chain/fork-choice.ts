// Fork choice: which tip wins (most cumulative work, ties to the first seen), where a branch meets
// the main chain, and walking a branch oldest-first in bounded memory. Also the chain-tips view.
import { fromHex, toHex } from '../crypto/index.js';
import { BlockStatus, type ChainStore, type IndexRecord } from '../store/index.js';
import type { BlockIndex } from './block-index.js';
import type { ChainTip, IndexEntry } from './events.js';

/** Strictly more work wins; an equal-work rival never displaces the tip seen first. */
export function beats(candidate: { work: bigint }, tip: { work: bigint }): boolean {
  return candidate.work > tip.work;
}

/** Blocks per step when a branch is walked forward: memory per step, not per branch. */
export const BRANCH_CHUNK = 256;

export interface BranchPath {
  target: IndexEntry;
  /** The main-chain block the branch grows from. */
  fork: IndexEntry;
  /** Ids every BRANCH_CHUNK blocks down from the target, so the forward walk never re-walks it all. */
  anchors: IndexEntry[];
  /** A block on the branch is already known invalid. */
  invalid: boolean;
}

/** Walks from `target` back to the main chain, keeping one anchor per BRANCH_CHUNK blocks. */
export async function findBranch(index: BlockIndex, target: IndexEntry): Promise<BranchPath> {
  const anchors: IndexEntry[] = [];
  let cur = target;
  let invalid = false;
  while (!(await index.isMain(cur))) {
    if (cur.status === BlockStatus.Invalid) invalid = true;
    if ((target.height - cur.height) % BRANCH_CHUNK === 0) anchors.push(cur);
    cur = await index.require(cur.parent, `parent of ${cur.idHex}`);
  }
  return { target, fork: cur, anchors, invalid };
}

/** The branch's blocks above the fork, oldest first, one chunk in memory at a time. */
export async function* branchForward(index: BlockIndex, path: BranchPath): AsyncGenerator<IndexEntry> {
  for (let k = path.anchors.length - 1; k >= 0; k--) {
    const top = path.anchors[k]!;
    const bottom = Math.max(path.fork.height + 1, top.height - BRANCH_CHUNK + 1);
    const chunk: IndexEntry[] = [];
    for (let cur = top; ; cur = await index.require(cur.parent, `parent of ${cur.idHex}`)) {
      chunk.push(cur);
      if (cur.height <= bottom) break;
    }
    for (let i = chunk.length - 1; i >= 0; i--) yield chunk[i]!;
  }
}

/**
 * Every chain tip, the active one first and then by work. Scans the block index as Core does,
 * then walks each branch back to the main chain.
 */
export async function listTips(store: ChainStore, index: BlockIndex, active: IndexEntry): Promise<ChainTip[]> {
  const parents = new Set<string>();
  const all = new Map<string, IndexRecord>();
  for await (const [id, rec] of store.indexRecords()) {
    all.set(toHex(id), rec);
    parents.add(toHex(rec.parent));
  }
  // A pruned side block (body gone) is no tip: the chain treats it as unknown.
  const ends = [...all].filter(([id, rec]) => (!parents.has(id) && rec.status !== BlockStatus.Pruned) || id === active.idHex);
  const tips: ChainTip[] = [];
  for (const [id, rec] of ends) {
    let status: ChainTip['status'] = id === active.idHex ? 'active' : 'fork';
    let cur: { id: Uint8Array; height: number; rec: IndexRecord } = { id: fromHex(id, 32), height: rec.height, rec };
    while (!(await index.isMain(cur))) {
      if (cur.rec.status === BlockStatus.Invalid) status = 'invalid';
      const parent = all.get(toHex(cur.rec.parent));
      if (!parent) break; // cannot happen: every stored block's parent is stored
      cur = { id: cur.rec.parent, height: parent.height, rec: parent };
    }
    tips.push({ id, height: rec.height, work: rec.work, timestamp: rec.timestamp, forkHeight: cur.height, branchLength: rec.height - cur.height, status });
  }
  const rank = (t: ChainTip): number => (t.status === 'active' ? 0 : 1);
  return tips.sort((a, b) => rank(a) - rank(b) || (a.work === b.work ? b.height - a.height : a.work > b.work ? -1 : 1));
}
