// Side-branch storage policy: which side-branch bodies are worth disk, and when a stale one goes.
// A body off the main chain is stored only when its branch is within a work distance of the tip
// and forks no deeper than a limit below it, unless the caller proved (with checked headers) that
// the branch leads to more work than our tip: that is how every reorg arrives through headers-first
// sync, so reorgs of any depth still happen, while a cheap low-work branch (from genesis, at
// powLimit) costs the attacker a full block of work per body. Bodies of side blocks that fall
// deeper than `pruneDepth` below the tip are pruned; the index keeps their header fields.
import { workForTarget } from '../core/index.js';
import { BlockStatus, type ChainStore } from '../store/index.js';
import type { BlockIndex } from './block-index.js';
import type { IndexEntry } from './events.js';

export interface SideBranchLimits {
  /**
   * A side block is stored only if its cumulative work is at least the tip's minus this many
   * blocks' worth of work at the tip's target (6: Bitcoin's confirmation depth; natural forks on an
   * honest network are one or two blocks deep, and a heavier branch comes with proven work).
   */
  workDistanceBlocks: number;
  /**
   * ...and only if it forks from the main chain at most this many blocks below the tip (288: two
   * days of ten-minute blocks, Bitcoin Core's MIN_BLOCKS_TO_KEEP and this node's start-up check
   * depth). Also bounds the walk that finds the fork point.
   */
  maxForkDepth: number;
  /** Side-branch bodies this many blocks below the tip are pruned (the index keeps the header). */
  pruneDepth: number;
}

export const DEFAULT_SIDE_BRANCH_LIMITS: Readonly<SideBranchLimits> = Object.freeze({ workDistanceBlocks: 6, maxForkDepth: 288, pruneDepth: 288 });

/** Side bodies pruned per batch (small atomic steps, as reorgs), and batches per connected block. */
const PRUNE_BATCH = 4;
const PRUNE_BATCHES_PER_CALL = 16;
/** Connected blocks between reads of the lowest side record (a bound on what a missed noteSide delays). */
const REREAD_LOWEST_EVERY = 64;
/** Above every height a key holds (heights are 32-bit keys). */
const MAX_HEIGHT = 2 ** 32 - 1;

export type SideRefusal = { reason: 'low-work-branch' | 'fork-too-deep'; message: string };

export class SideBranches {
  readonly limits: Readonly<SideBranchLimits>;
  /** Pruning has nothing left below this height (in memory: a restart scans once). */
  private prunedBelow = 0;
  /**
   * No side record lies below this height (undefined: unknown, the store is asked). With it a
   * connected block costs no LevelDB iterator when nothing is due for pruning, as on a chain
   * without forks: side records come from noteSide (side blocks stored, blocks disconnected).
   */
  private lowestSide: number | undefined;
  /** Blocks since lowestSide was read from the store: re-read now and then, whatever noteSide missed. */
  private sinceRead = 0;

  constructor(private readonly store: ChainStore, private readonly index: BlockIndex, limits: Partial<SideBranchLimits> = {}) {
    this.limits = { ...DEFAULT_SIDE_BRANCH_LIMITS, ...limits };
  }

  /**
   * Why a side block with this entry (not beating `tip`) must not be stored, or undefined. The
   * work test needs no I/O; the fork-depth walk reads at most `maxForkDepth` index entries.
   * `provenWork`: work of a checked header chain the block leads to (sync's best header).
   */
  async refusal(entry: Pick<IndexEntry, 'work' | 'height'>, parent: IndexEntry, tip: IndexEntry, provenWork?: bigint): Promise<SideRefusal | undefined> {
    if (provenWork !== undefined && provenWork > tip.work) return undefined;
    const distance = BigInt(this.limits.workDistanceBlocks) * workForTarget(tip.target);
    if (entry.work + distance < tip.work) {
      return { reason: 'low-work-branch', message: `side block at height ${entry.height} is more than ${this.limits.workDistanceBlocks} blocks of work behind the tip` };
    }
    const floor = tip.height - this.limits.maxForkDepth;
    let cur = parent;
    while (!(await this.index.isMain(cur))) {
      if (cur.height <= floor) break;
      const up = await this.index.entry(cur.parent);
      if (!up) return { reason: 'fork-too-deep', message: `side branch at height ${entry.height} has no stored fork point` };
      cur = up;
    }
    if (cur.height < floor || (cur.height === floor && !(await this.index.isMain(cur)))) {
      return { reason: 'fork-too-deep', message: `side branch forks more than ${this.limits.maxForkDepth} blocks below the tip` };
    }
    return undefined;
  }

  /**
   * Prunes side bodies more than `pruneDepth` below the tip, in small atomic batches and at most
   * PRUNE_BATCHES_PER_CALL of them per call. A recorded block that has since become main is only
   * taken off the list.
   */
  async prune(tipHeight: number): Promise<number> {
    const below = tipHeight - this.limits.pruneDepth;
    if (below <= this.prunedBelow) return 0;
    if (this.lowestSide !== undefined && this.lowestSide >= below && ++this.sinceRead < REREAD_LOWEST_EVERY) {
      this.prunedBelow = below;
      return 0;
    }
    let pruned = 0;
    for (let i = 0; i < PRUNE_BATCHES_PER_CALL && below > this.prunedBelow; i++) {
      const batch = this.store.batch();
      let seen = 0;
      for await (const s of this.store.sideBelow(below, PRUNE_BATCH)) {
        seen++;
        const rec = await this.store.getIndex(s.id);
        if (!rec || rec.status === BlockStatus.Pruned || (await this.index.isMain({ id: s.id, height: s.height }))) batch.delSide(s.height, s.id);
        else {
          batch.pruneBody(s.id, rec);
          this.index.forget(s.id);
          pruned++;
        }
      }
      await batch.write();
      // Fewer than a full batch: nothing is left below; otherwise the next round (or block) goes on.
      if (seen < PRUNE_BATCH) this.prunedBelow = below;
    }
    this.lowestSide = undefined;
    if (this.prunedBelow === below) {
      for await (const s of this.store.sideBelow(MAX_HEIGHT, 1)) this.lowestSide ??= s.height;
      this.lowestSide ??= Infinity;
      this.sinceRead = 0;
    }
    return pruned;
  }

  /** A side record is written at `height` (a side block stored, or a block disconnected into one). */
  noteSide(height: number): void {
    if (this.lowestSide !== undefined && height < this.lowestSide) this.lowestSide = height;
  }
}
